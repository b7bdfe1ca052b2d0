/**
 * Subscription test support: the receiver as a real process on loopback,
 * what it recorded, and subscriptions made through the API.
 */
import { expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Webhook } from "standardwebhooks";
import type { Harness } from "../support/harness";

export type Json = Record<string, unknown>;

export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  status: number;
  payload: { id: string; type: string; version: number; position: string; occurredAt: string; data: Json };
}

export interface Receiver {
  port: number;
  url: string;
  /** Everything received so far, in arrival order. */
  records(): Received[];
  /** How many requests it answered with a 2xx (cheap: no parsing). */
  acknowledged(): number;
  /** Changes what it answers. */
  answer(mode: { status?: number; delayMs?: number; retryAfter?: string | null }): Promise<void>;
  /** Kills the process: connections are refused until `restart`. */
  stop(): Promise<void>;
  restart(mode?: { status?: number; delayMs?: number }): Promise<void>;
}

const SCRIPT = resolve(import.meta.dir, "receiver.ts");

export async function startReceiver(mode: { status?: number; delayMs?: number } = {}): Promise<Receiver> {
  const log = join(mkdtempSync(join(tmpdir(), "receiver-")), "received.jsonl");
  let port = 0;
  let proc: Bun.Subprocess<"ignore", "pipe", "inherit"> | null = null;
  const spawn = async (m: { status?: number; delayMs?: number }) => {
    proc = Bun.spawn([process.execPath, SCRIPT], {
      env: { ...process.env, RECEIVER_LOG: log, RECEIVER_PORT: String(port), RECEIVER_STATUS: String(m.status ?? 200), RECEIVER_DELAY_MS: String(m.delayMs ?? 0) },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
    const reader = proc.stdout.getReader();
    let text = "";
    while (!/listening (\d+)/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`receiver did not start: ${text}`);
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    port = Number(/listening (\d+)/.exec(text)?.[1]);
  };
  await spawn(mode);
  const receiver: Receiver = {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    records() {
      if (!existsSync(log)) return [];
      return readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const r = JSON.parse(line) as Omit<Received, "payload">;
          return { ...r, payload: JSON.parse(r.body) as Received["payload"] };
        });
    },
    acknowledged() {
      if (!existsSync(log)) return 0;
      return readFileSync(log, "utf8").match(/"status":2\d\d\}$/gm)?.length ?? 0;
    },
    async answer(m) {
      const response = await fetch(`${receiver.url}/_control`, { method: "POST", body: JSON.stringify(m) });
      expect(response.status).toBe(200);
    },
    async stop() {
      const p = proc;
      if (!p) return;
      p.kill("SIGKILL");
      await p.exited;
      proc = null;
    },
    async restart(m = {}) {
      await receiver.stop();
      await spawn(m);
    },
  };
  return receiver;
}

/** Verifies a delivery the way a receiver would, with the `standardwebhooks` package; throws when it does not verify. */
export function verify(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, { "webhook-id": r.id, "webhook-timestamp": r.timestamp, "webhook-signature": r.signature });
}

export interface Created {
  subscription: Json & { id: string; delivery: Json };
  secret: string;
}

export async function subscribe(h: Harness, as: string, body: Json): Promise<Created> {
  const response = await h.request("/api/subscriptions", { method: "POST", as, json: body });
  if (response.status !== 201) throw new Error(`POST /api/subscriptions → ${response.status} ${await response.text()}`);
  return (await response.json()) as Created;
}

/** Waits (no fixed sleeps) until `check` returns something truthy. */
export async function until<T>(check: () => T | false | undefined | null | Promise<T | false | undefined | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** A message template from the sandbox's deliveries, to post more messages through the real webhook route. */
export async function webhookTemplate(h: Harness, unipileAccountId: string, chatId: string): Promise<Json> {
  const deliveries = await h.control<{ items: { body: string }[] }>("GET", `/sandbox/deliveries?account_id=${unipileAccountId}&event=message_received`);
  const bodies = deliveries.items.map((d) => JSON.parse(d.body) as Json).filter((b) => b.chat_id === chatId);
  const template = bodies[0];
  if (!template) throw new Error(`no delivered message in chat ${chatId}`);
  return template;
}
