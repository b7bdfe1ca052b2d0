/**
 * Test support for the sandbox and the gateway: a sandbox on a random
 * loopback port with short webhook retries, a control client for
 * `/sandbox/*`, a webhook receiver, and a poll-with-deadline helper.
 */
import { startSandbox, type RunningSandbox, type SandboxOptions } from "../../src/sandbox";

export const TOKEN = "test-sandbox-token";

export async function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    accessToken: TOKEN,
    deliveries: { retryDelaysMs: [20, 40, 60, 80, 100], timeoutMs: 500 },
    ...options,
  });
}

/** Calls a sandbox control (or any route) with the API key; throws on non-2xx. */
export async function control<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "X-API-KEY": TOKEN, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
  json: unknown;
  at: number;
}

/** A webhook receiver on a random port; `respond` decides each answer's status (default 200). */
export function startReceiver(respond: (n: number) => number | Promise<number> = () => 200) {
  const received: ReceivedRequest[] = [];
  let count = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const body = await request.text();
      count += 1;
      const status = await respond(count);
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      received.push({ headers: Object.fromEntries(request.headers.entries()), body, json, at: Date.now() });
      return new Response("ok", { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, received, stop: () => server.stop(true) };
}

/** Creates an account and scans it; returns its id. */
export async function connectedAccount(baseUrl: string, phone = "33612345678", history?: { chats: number; messages_per_chat: number }) {
  const checkpoint = await control<{ account_id: string }>(baseUrl, "POST", "/api/v1/accounts", { provider: "WHATSAPP" });
  await control(baseUrl, "POST", `/sandbox/accounts/${checkpoint.account_id}/scan`, { phone_number: phone, ...(history ? { history } : {}) });
  return checkpoint.account_id;
}
