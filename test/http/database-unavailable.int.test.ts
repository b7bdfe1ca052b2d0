/**
 * The real app on a database nobody answers (a loopback port with no
 * listener): requests that need the database are answered 503
 * DATABASE_UNAVAILABLE with Retry-After, in the error shape, at once;
 * /health still answers 200 and /ready 503. (test/e2e/postgres-outage.e2e.test.ts
 * stops and restarts a real Postgres under a running service.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createSql } from "../../src/db/client";
import { createDeps, type Deps } from "../../src/deps";
import { signToken } from "../../src/http/auth";
import { createLogger } from "../../src/logger";

const SECRET = "unavailable-test-secret-that-is-long-enough";
const WEBHOOK_SECRET = "unavailable-webhook-secret-0123";

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

let deps: Deps;
let app: ReturnType<typeof createApp>;
const logs: string[] = [];

beforeAll(() => {
  const url = `postgres://postgres:postgres@127.0.0.1:${closedPort()}/postgres`;
  const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: url, AUTH_JWT_SECRET: SECRET, UNIPILE_DSN: "http://127.0.0.1:9", UNIPILE_ACCESS_TOKEN: "x", UNIPILE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  const logger = createLogger({ level: "info" }, { write: (line: string) => void logs.push(line) });
  const sql = createSql({ url, connectTimeoutMs: config.database.connectTimeoutMs });
  deps = createDeps(config, { databaseUrl: url, logger, sql, unipile: { dsn: "http://127.0.0.1:9", accessToken: "x", mode: "remote", webhookSecret: WEBHOOK_SECRET } });
  app = createApp(deps);
});

afterAll(async () => {
  await deps.database.stop();
  await deps.sql.end({ timeout: 1 });
});

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("2");
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["code", "error", "requestId"]);
  expect(body.code).toBe("DATABASE_UNAVAILABLE");
}

describe("requests while the database cannot be reached", () => {
  test("given no database, when a webhook arrives, then it is refused 503 DATABASE_UNAVAILABLE with Retry-After, logged as one warning", async () => {
    const response = await app.request("/api/unipile/webhook", {
      method: "POST",
      headers: { "content-type": "application/json", "unipile-auth": WEBHOOK_SECRET },
      body: JSON.stringify({ event: "message_received", account_id: "a", chat_id: "c", message_id: "m-1", message: "hi" }),
    });

    await expectUnavailable(response);
    const warnings = logs.map((line) => JSON.parse(line) as { msg: string; level: number; err?: unknown }).filter((r) => r.msg === "database unavailable");
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((r) => r.level === 40 && r.err === undefined)).toBe(true);
  });

  test("given the database marked down, when a read comes, then it is refused at once without trying the database", async () => {
    expect(deps.database.isDown()).toBe(true);
    const token = await signToken(SECRET, { sub: "reader" });
    const driverFailures = () => logs.filter((line) => line.includes('"msg":"database unavailable"')).length;
    const before = driverFailures();

    const response = await app.request("/api/conversations", { headers: { authorization: `Bearer ${token}` } });

    await expectUnavailable(response);
    // No driver error behind this answer: the gate answered before any query.
    expect(driverFailures()).toBe(before);
  });

  test("/health answers 200 and /ready 503 NOT_READY naming the database", async () => {
    expect((await app.request("/health")).status).toBe(200);
    const ready = await app.request("/ready");
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { code: string; checks: { database: { ok: boolean } } };
    expect(body.code).toBe("NOT_READY");
    expect(body.checks.database.ok).toBe(false);
  });
});
