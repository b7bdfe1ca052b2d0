/**
 * A webhook receiver, run as its own process by the subscription tests
 * (`bun test/subscriptions/receiver.ts`). It appends every request it gets to
 * RECEIVER_LOG (one JSON line: path, Standard Webhooks headers, body, the
 * status it answered) and answers RECEIVER_STATUS (default 200) after
 * RECEIVER_DELAY_MS. `POST /_control {status, delayMs, retryAfter}` changes
 * the answer. It prints `listening <port>` once it listens on RECEIVER_PORT
 * (0: any free port); the tests stop it with SIGKILL and start it again on
 * the same port.
 */
import { appendFileSync } from "node:fs";

const log = process.env.RECEIVER_LOG as string;
const mode = {
  status: Number(process.env.RECEIVER_STATUS ?? 200),
  delayMs: Number(process.env.RECEIVER_DELAY_MS ?? 0),
  retryAfter: null as string | null,
};

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.RECEIVER_PORT ?? 0),
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/_control") {
      Object.assign(mode, (await request.json()) as Partial<typeof mode>);
      return Response.json(mode);
    }
    const body = await request.text();
    const { status, delayMs, retryAfter } = mode;
    if (delayMs > 0) await Bun.sleep(delayMs);
    const record = {
      path: url.pathname,
      id: request.headers.get("webhook-id"),
      timestamp: request.headers.get("webhook-timestamp"),
      signature: request.headers.get("webhook-signature"),
      body,
      status,
    };
    appendFileSync(log, `${JSON.stringify(record)}\n`);
    return new Response(status < 300 ? "ok" : "not now", { status, headers: retryAfter ? { "retry-after": retryAfter } : {} });
  },
});
console.log(`listening ${server.port}`);
