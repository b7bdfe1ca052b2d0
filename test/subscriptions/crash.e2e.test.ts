/**
 * The service as a real process (`bun src/main.ts`) on the test database,
 * killed with SIGKILL while it delivers to a slow receiver, then started
 * again: every event still arrives, and an event sent again carries the same
 * webhook-id (and verifies).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { signToken } from "../../src/http/auth";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { type Json, type Receiver, type Received, startReceiver, until, verify } from "./support";

const ROOT = resolve(import.meta.dir, "../..");
const JWT_SECRET = "crash-test-secret-that-is-long-enough-0123";
const MESSAGES_PER_CHAT = 20;
/** The sandbox the service starts answers its access token (the default one here). */
const sandboxHeaders = { "content-type": "application/json", "x-api-key": "sandbox-access-token" };
const CHATS = 3;

let tdb: TestDatabase | undefined;
let receiver: Receiver | undefined;
const children: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const child of children) {
    child.kill("SIGKILL");
    await child.exited;
  }
  await receiver?.stop();
  await tdb?.drop();
});

function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port as number;
  server.stop(true);
  return port;
}

function startService(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|UNIPILE_|AUTH_|SANDBOX_|SUBSCRIPTIONS_|PORT|HOST)/.test(k))) as Record<string, string>;
  const child = Bun.spawn([process.execPath, "--no-env-file", "src/main.ts"], { cwd: ROOT, env: { ...clean, ...env }, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  children.push(child);
  return child;
}

describe("a service killed mid-delivery", () => {
  test("SIGKILL during deliveries, then a restart: nothing is lost, and re-deliveries carry the same webhook-id", async () => {
    tdb = await createTestDatabase();
    receiver = await startReceiver({ delayMs: 100 });
    const [port, sandboxPort] = [freePort(), freePort()];
    const base = `http://127.0.0.1:${port}`;
    const sandbox = `http://127.0.0.1:${sandboxPort}`;
    const env = {
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      SANDBOX_PORT: String(sandboxPort),
      DATABASE_URL: tdb.url,
      AUTH_JWT_SECRET: JWT_SECRET,
      SYNC_ENABLED: "false",
      BACKGROUND_JOBS_ENABLED: "false",
      PROJECTION_POLL_MS: "50",
      SUBSCRIPTIONS_ALLOW_PRIVATE: "true",
      SUBSCRIPTIONS_POLL_MS: "100",
      SUBSCRIPTIONS_LEASE_MS: "1500",
      SUBSCRIPTIONS_RETRY_BASE_MS: "50",
      SUBSCRIPTIONS_RETRY_MAX_MS: "300",
    };
    const ready = async () => (await fetch(`${base}/ready`).catch(() => null))?.status === 200;
    let service = startService(env);
    await until(ready, 30_000, "the service to be ready");

    const user = `crash-${crypto.randomUUID()}`;
    const auth = { authorization: `Bearer ${await signToken(JWT_SECRET, { sub: user })}`, "content-type": "application/json" };
    const connection = (await (await fetch(`${base}/api/unipile/connect-whatsapp`, { method: "POST", headers: auth })).json()) as { accountId: string; accountIdentifier: string };
    await fetch(`${sandbox}/sandbox/accounts/${connection.accountIdentifier}/scan`, { method: "POST", headers: sandboxHeaders, body: JSON.stringify({ phone_number: "33600000001" }) });
    await until(async () => {
      const status = (await (await fetch(`${base}/api/unipile/check-status?accountId=${connection.accountId}&wait=2`, { headers: auth })).json()) as Json;
      return status.status === "connected";
    }, 15_000, "the account to connect");
    const created = await fetch(`${base}/api/subscriptions`, { method: "POST", headers: auth, body: JSON.stringify({ url: `${receiver.url}/crash`, events: ["message.created"] }) });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };

    // Given: messages in three chats, delivered one at a time per chat to a receiver taking 100 ms each
    const texts = new Set<string>();
    for (let i = 0; i < MESSAGES_PER_CHAT; i++) {
      for (let c = 0; c < CHATS; c++) {
        const text = `crash ${c}-${i}`;
        texts.add(text);
        const sent = await fetch(`${sandbox}/sandbox/accounts/${connection.accountIdentifier}/incoming`, { method: "POST", headers: sandboxHeaders, body: JSON.stringify({ from: `3361000000${c}`, text }) });
        expect(sent.status).toBeLessThan(300);
      }
    }
    const recorded = async () =>
      (await tdb!.sql<{ n: number }[]>`select count(*)::int as n from events where type = 'UnipileWebhookReceived' and data->'raw'->>'event' = 'message_received' and data->>'unipileAccountId' = ${connection.accountIdentifier}`)[0]?.n ?? 0;
    await until(async () => (await recorded()) >= CHATS * MESSAGES_PER_CHAT, 20_000, "every message in the log");

    // When: the service is killed while deliveries are under way, and started again
    await until(() => receiver!.acknowledged() >= 6, 20_000, "some deliveries");
    service.kill("SIGKILL");
    await service.exited;
    const atKill = receiver.acknowledged();
    expect(atKill).toBeLessThan(CHATS * MESSAGES_PER_CHAT);
    service = startService(env);
    await until(ready, 30_000, "the restarted service to be ready");

    // Then
    const textOf = (r: Received) => (r.payload.data.message as Json).text as string;
    const mine = () => receiver!.records().filter((r) => r.status === 200 && texts.has(textOf(r)));
    await until(() => new Set(mine().map(textOf)).size === texts.size, 60_000, "every message delivered after the restart");
    const all = mine();
    const idsByText = new Map<string, Set<string>>();
    for (const r of all) {
      idsByText.set(textOf(r), (idsByText.get(textOf(r)) ?? new Set()).add(r.id));
      expect(r.id).toBe(r.payload.id);
      expect(verify(secret, r)).toBeTruthy();
    }
    expect([...idsByText.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    const perConversation = new Map<string, number[]>();
    for (const r of all) {
      const [chat, index] = textOf(r).slice("crash ".length).split("-").map(Number) as [number, number];
      const seen = perConversation.get(String(chat)) ?? [];
      if (!seen.includes(index)) seen.push(index);
      perConversation.set(String(chat), seen);
    }
    for (const indexes of perConversation.values()) expect(indexes).toEqual(Array.from({ length: MESSAGES_PER_CHAT }, (_, i) => i));
    console.info(`crash: killed after ${atKill} acknowledged; ${all.length} deliveries for ${texts.size} events (${all.length - texts.size} sent again)`);
    service.kill("SIGTERM");
    expect(await service.exited).toBe(0);
  }, 120_000);
});
