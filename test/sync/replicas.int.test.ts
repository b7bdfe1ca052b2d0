/**
 * Several service instances on one database. Two in-process instances
 * (their own pools, loggers and sync schedulers) share the accounts: no
 * account is synced by both at once and no message is imported twice. A real
 * service process (`bun src/main.ts`) killed with SIGKILL in the middle of a
 * 20 × 500 history import: another instance takes the account over when the
 * dead one's lease expires and resumes at its last checkpoint; the import
 * ends with every message once and none missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { loadConfig } from "../../src/config";
import { createDeps, type Deps } from "../../src/deps";
import { createLogger } from "../../src/logger";
import { backfillStream } from "../../src/sync/events";
import { TOKEN, waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from "../support/harness";
import { listConversations, newPhone } from "../messaging/support";
import { account, arrivals, incoming, linkAccount, observedByAccount, syncEvents } from "./support";

const ROOT = resolve(import.meta.dir, "../..");
const SYNC_ENV = { SYNC_INTERVAL_MS: "50", SYNC_LEASE_MS: "1500", SYNC_MAX_BACKOFF_MS: "500", SYNC_CATCH_UP_AFTER_MS: "600000" };

let h: Harness;
beforeAll(async () => {
  h = await createHarness(SYNC_ENV);
});
afterAll(() => h.close());

/** Another service instance on the harness's database and sandbox, logging at debug into `logs`. */
function instance(env: Record<string, string> = {}) {
  const logs: string[] = [];
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: h.tdb.url,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    UNIPILE_DSN: h.sandbox.url,
    UNIPILE_ACCESS_TOKEN: TOKEN,
    UNIPILE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    UNIPILE_TIMEOUT_MS: "3000",
    ...SYNC_ENV,
    ...env,
  });
  const deps: Deps = createDeps(config, {
    databaseUrl: h.tdb.url,
    sql: h.tdb.connect(8),
    logger: createLogger({ level: "debug" }, { write: (line: string) => void logs.push(line) }),
    unipile: { dsn: h.sandbox.url, accessToken: TOKEN, mode: "remote", webhookSecret: TEST_WEBHOOK_SECRET },
  });
  return { deps, logs };
}

interface RunLine {
  msg: string;
  account: string;
  instance: string;
  time: string;
}
const runLines = (logs: string[]) =>
  logs.map((l) => JSON.parse(l) as RunLine).filter((l) => l.msg === "sync run started" || l.msg === "sync run finished");

/** Each instance's runs as [start, end] per account. */
function runIntervals(logs: string[]) {
  const open = new Map<string, number>();
  const runs: { account: string; instance: string; start: number; end: number }[] = [];
  for (const line of runLines(logs)) {
    const key = `${line.instance}/${line.account}`;
    if (line.msg === "sync run started") open.set(key, Date.parse(line.time));
    else {
      runs.push({ account: line.account, instance: line.instance, start: open.get(key) ?? 0, end: Date.parse(line.time) });
      open.delete(key);
    }
  }
  return runs;
}

describe("two instances on one database", () => {
  test("each account is synced by one instance at a time, and no message is imported twice", async () => {
    // Given: four accounts with history, and two instances syncing one account at a time each
    const accounts = await Promise.all(Array.from({ length: 4 }, () => linkAccount(h, { history: { chats: 5, messages_per_chat: 100 } })));
    const a = instance({ SYNC_CONCURRENCY: "1" });
    const b = instance({ SYNC_CONCURRENCY: "1" });
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });

    // When: both run while contacts keep writing (their webhooks dropped)
    a.deps.sync.start();
    b.deps.sync.start();
    const live: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (const linked of accounts) live.push((await incoming(h, linked.unipileAccountId, { from: newPhone(), text: `Message ${round}` })).message_id);
      await Bun.sleep(100);
    }
    const store = h.sandbox.sandbox.context.store;
    const expected = new Map(accounts.map((linked) => [linked.unipileAccountId, [...store.messages.values()].filter((m) => m.accountId === linked.unipileAccountId).map((m) => m.id)]));
    await waitFor(async () => {
      for (const linked of accounts) {
        const observed = await observedByAccount(h.deps.sql, linked.unipileAccountId);
        if (observed.length < (expected.get(linked.unipileAccountId)?.length ?? 0)) return false;
        if ((await account(h, linked.userId, linked.accountId)).sync.backfill?.state !== "done") return false;
      }
      return true;
    }, 30_000);
    await Promise.all([a.deps.sync.stop(), b.deps.sync.stop()]);
    await h.control("DELETE", "/sandbox/faults");

    // Then: every message once in the log, none missing
    for (const linked of accounts) {
      const ids = expected.get(linked.unipileAccountId) ?? [];
      expect(ids).toHaveLength(505);
      const observed = await observedByAccount(h.deps.sql, linked.unipileAccountId);
      expect(observed.map((o) => o.message_id).sort()).toEqual([...ids].sort());
    }
    expect((await arrivals(h.deps.sql, live)).map((x) => x.message_id).sort()).toEqual([...live].sort());
    const rows = await h.deps.sql<{ n: number; distinct_ids: number }[]>`
      select count(*)::int as n, count(distinct unipile_message_id)::int as distinct_ids from messages
      where unipile_account_id = any(${accounts.map((x) => x.unipileAccountId)})
    `;
    await waitFor(async () => (await h.deps.sql<{ n: number }[]>`select count(*)::int as n from messages where unipile_account_id = any(${accounts.map((x) => x.unipileAccountId)})`)[0]?.n === 4 * 505, 20_000);
    expect(rows[0]?.n).toBe(rows[0]?.distinct_ids);

    // And: each import's checkpoints form one chain (no two writers advanced one run)
    for (const linked of accounts) {
      const steps = await syncEvents(h.deps.sql, backfillStream(linked.unipileAccountId));
      expect(steps.map((s) => s.data.seq)).toEqual(steps.map((_, i) => i));
    }

    // And: both instances worked, never on the same account at the same time
    const runs = [...runIntervals(a.logs), ...runIntervals(b.logs)];
    expect(new Set(runs.map((r) => r.instance)).size).toBe(2);
    for (const linked of accounts) {
      const ofAccount = runs.filter((r) => r.account === linked.unipileAccountId);
      for (const x of ofAccount) {
        for (const y of ofAccount) {
          if (x.instance === y.instance) continue;
          expect(x.start < y.end && y.start < x.end).toBe(false);
        }
      }
    }
    console.log(`two instances: ${runs.length} runs (${runs.filter((r) => r.instance === runs[0]?.instance).length} by one of them)`);
  }, 60_000);
});

describe("a service process killed mid-import", () => {
  test("another instance takes over when the lease expires and finishes: no duplicates, no gaps", async () => {
    // Given: an account whose phone had 20 chats of 500 messages; a slowed-down Unipile
    const linked = await linkAccount(h, { history: { chats: 20, messages_per_chat: 500 } });
    const seeded = [...h.sandbox.sandbox.context.store.messages.values()].filter((m) => m.accountId === linked.unipileAccountId).map((m) => m.id);
    expect(seeded).toHaveLength(10_000);
    await h.control("POST", "/sandbox/faults", { latency_ms: 25 });

    // When: the real service process imports, and is killed after a few pages
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
    const child = Bun.spawn([process.execPath, "src/main.ts"], {
      cwd: ROOT,
      env: {
        ...env,
        NODE_ENV: "test",
        LOG_LEVEL: "silent",
        HOST: "127.0.0.1",
        PORT: "0",
        DATABASE_URL: h.tdb.url,
        UNIPILE_DSN: h.sandbox.url,
        UNIPILE_ACCESS_TOKEN: TOKEN,
        UNIPILE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        PUBLIC_URL: "",
        PROJECTIONS_ENABLED: "false",
        BACKGROUND_JOBS_ENABLED: "false",
        ...SYNC_ENV,
      },
      stdout: "ignore",
      stderr: "pipe",
    });
    const stream = backfillStream(linked.unipileAccountId);
    // Each run releases the lease when it ends: the kill comes while a run holds it, so only its expiry frees it.
    // The process starts slowly on a loaded machine, hence the long wait.
    const atKill = await waitFor(async () => {
      const last = (await syncEvents(h.deps.sql, stream)).at(-1);
      if (!last || (last.data.messagesSeen as number) < 2000) return undefined;
      const [lease] = await h.deps.sql<{ owner: string | null }[]>`select owner from sync_leases where unipile_account_id = ${linked.unipileAccountId}`;
      if (!lease?.owner) return undefined;
      child.kill("SIGKILL");
      return last;
    }, 60_000).finally(() => child.kill("SIGKILL"));
    await child.exited;
    const [held] = await h.deps.sql<{ owner: string | null }[]>`select owner from sync_leases where unipile_account_id = ${linked.unipileAccountId}`;
    expect(held?.owner).toEqual(expect.any(String));
    expect(atKill.type).toBe("AccountBackfillProgressed");
    expect(atKill.data.messagesSeen as number).toBeLessThan(10_000);

    // Then: this instance takes the account over once the dead one's lease expires, and finishes
    await h.control("POST", "/sandbox/faults", { latency_ms: 0 });
    h.deps.sync.start();
    const done = await waitFor(async () => {
      const a = await account(h, linked.userId, linked.accountId);
      return a.sync.backfill?.state === "done" && a.sync.backfill.messagesImported === 10_000 ? a : undefined;
    }, 60_000);
    await h.deps.sync.stop();
    expect(done.sync.backfill).toMatchObject({ reason: "sync_success", chatsDone: 20, messagesSeen: 10_000, messagesImported: 10_000 });
    const [lease] = await h.deps.sql<{ owner: string | null; last_success_at: Date | null }[]>`select owner, last_success_at from sync_leases where unipile_account_id = ${linked.unipileAccountId}`;
    expect(lease?.owner).toBeNull();

    const steps = await syncEvents(h.deps.sql, stream);
    expect(steps.filter((s) => s.type === "AccountBackfillStarted")).toHaveLength(1);
    expect(steps.map((s) => s.data.seq)).toEqual(steps.map((_, i) => i));
    expect(new Set(steps.map((s) => s.data.runId)).size).toBe(1);
    expect(steps.at(-1)).toMatchObject({ type: "AccountBackfillCompleted", data: { messagesSeen: 10_000, chatsDone: 20 } });

    const observed = await observedByAccount(h.deps.sql, linked.unipileAccountId);
    expect(observed).toHaveLength(10_000);
    expect(new Set(observed.map((o) => o.message_id))).toEqual(new Set(seeded));
    expect(new Set(observed.map((o) => o.sync_run_id))).toEqual(new Set([steps[0]?.data.runId as string]));

    const conversations = await waitFor(async () => {
      const page = (await listConversations(h, linked.userId, "limit=50")).items;
      return page.length === 20 && page.every((c) => c.messageCount === 500) ? page : undefined;
    }, 30_000);
    expect(conversations).toHaveLength(20);
    console.log(`killed at checkpoint ${atKill.data.seq} (${atKill.data.messagesSeen} messages read); resumed and finished at ${steps.at(-1)?.data.seq}`);
  }, 150_000);
});
