/**
 * The sync when things go wrong: Unipile answering 5xx, 429 with
 * Retry-After, or too slowly; the sync itself stopped for a while. It backs
 * off (growing, jittered waits; never sooner than Retry-After), keeps
 * running, and once the fault clears the messages whose webhooks were
 * dropped meanwhile are in the log exactly once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { syncStream } from "../../src/sync/events";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { newPhone } from "../messaging/support";
import { arrivals, incoming, linkAccount, syncEvents, syncNow } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    SYNC_INTERVAL_MS: "50",
    SYNC_MAX_BACKOFF_MS: "1000",
    SYNC_LEASE_MS: "3000",
    SYNC_CATCH_UP_AFTER_MS: "1500",
    UNIPILE_TIMEOUT_MS: "300",
  });
});
afterEach(async () => {
  await h.deps.sync.stop();
  await h.control("DELETE", "/sandbox/faults");
});
afterAll(() => h.close());

interface FailureLine {
  msg: string;
  account: string;
  failures: number;
  retryInMs: number;
  outages: number;
  failure: { kind: string; status?: number; retryAfterMs?: number };
  time: string;
}
const failuresOf = (unipileAccountId: string): FailureLine[] =>
  h.logs
    .map((line) => JSON.parse(line) as FailureLine)
    .filter((l) => l.msg === "sync run failed; backing off" && l.account === unipileAccountId);

/** A linked, synced account; then two messages whose webhooks are dropped. */
async function accountWithMissedMessages() {
  const linked = await linkAccount(h);
  // A pause left by the previous fault ends first (manual syncs honour it too).
  await waitFor(() => h.deps.sync.status().pausedUntil === null, 5000);
  expect((await syncNow(h, linked.userId, linked.accountId))[0]?.outcome).toBe("synced");
  await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
  const contact = newPhone();
  const sent = [
    await incoming(h, linked.unipileAccountId, { from: contact, text: "Premier" }),
    await incoming(h, linked.unipileAccountId, { from: contact, text: "Second" }),
  ];
  return { linked, ids: sent.map((m) => m.message_id) };
}

/** The messages end up in the log once each, brought by the poll. */
async function arrivedOnce(ids: string[]) {
  const logged = await waitFor(async () => {
    const found = await arrivals(h.deps.sql, ids);
    return found.length === ids.length ? found : undefined;
  }, 15_000);
  expect(logged.every((a) => a.type === "UnipileMessageObserved" && a.via === "poll")).toBe(true);
}

describe("Unipile failing", () => {
  test("5xx: growing waits, the whole sync slows down, no crash; the gap is filled once Unipile is back", async () => {
    const { linked, ids } = await accountWithMissedMessages();
    await h.control("POST", "/sandbox/faults", { http: [{ path: "/api/v1/chats*", status: 500 }, { path: "/api/v1/messages*", status: 503 }] });

    h.deps.sync.start();
    const failed = await waitFor(() => failuresOf(linked.unipileAccountId).length >= 3 && failuresOf(linked.unipileAccountId), 20_000);
    expect(h.deps.sync.status()).toMatchObject({ running: true, consecutiveOutages: expect.any(Number) });
    expect(h.deps.sync.status().consecutiveOutages).toBeGreaterThanOrEqual(3);

    // Each wait is within [step/2, step] of a doubling step from the interval (50 ms), capped at 1 s.
    failed.slice(0, 3).forEach((line, i) => {
      expect(line.failures).toBe(i + 1);
      expect(line.failure).toMatchObject({ kind: "http", status: 500 });
      const step = Math.min(1000, 50 * 2 ** i);
      expect(line.retryInMs).toBeGreaterThanOrEqual(step / 2);
      expect(line.retryInMs).toBeLessThanOrEqual(step);
    });
    const schedule = await waitFor(async () => {
      const [row] = await h.deps.sql<{ failures: number; last_error: { status: number } }[]>`
        select failures, last_error from sync_leases where unipile_account_id = ${linked.unipileAccountId}
      `;
      return row && row.failures >= 3 ? row : undefined;
    });
    expect(schedule.last_error).toMatchObject({ operation: "listChats", status: 500 });

    await h.control("DELETE", "/sandbox/faults");
    await arrivedOnce(ids);
    const recorded = await waitFor(async () => (await syncEvents(h.deps.sql, syncStream(linked.unipileAccountId))).find((e) => (e.data.messagesNew as number) > 0));
    expect(recorded.data.newMessageIds).toEqual(expect.arrayContaining(ids));
    await waitFor(async () => (await h.deps.sql`select failures from sync_leases where unipile_account_id = ${linked.unipileAccountId}`)[0]?.failures === 0);
  }, 30_000);

  test("429 with Retry-After: no call before it, manual syncs are told to wait, then recovery", async () => {
    const { linked, ids } = await accountWithMissedMessages();
    // Until cleared: the gateway waits out two Retry-Afters itself (3 attempts), the sync the third.
    await h.control("POST", "/sandbox/faults", { http: [{ method: "GET", path: "/api/v1/chats*", status: 429, retry_after_s: 1 }] });

    h.deps.sync.start();
    const [failure] = await waitFor(() => failuresOf(linked.unipileAccountId).length >= 1 && failuresOf(linked.unipileAccountId), 15_000);
    expect(failure).toMatchObject({ failures: 1, failure: { kind: "http", status: 429, retryAfterMs: 1000 } });
    expect(failure?.retryInMs).toBeGreaterThanOrEqual(1000);
    const lease = await waitFor(async () => {
      const [row] = await h.deps.sql<{ next_run_at: Date; blocked_until: Date | null }[]>`
        select next_run_at, blocked_until from sync_leases where unipile_account_id = ${linked.unipileAccountId}
      `;
      return row?.blocked_until ? { blockedUntil: row.blocked_until.getTime(), nextRunAt: row.next_run_at.getTime() } : undefined;
    });
    const failedAt = Date.parse(failure?.time ?? "");
    expect(lease.blockedUntil).toBeGreaterThanOrEqual(failedAt + 900);
    expect(lease.nextRunAt).toBeGreaterThanOrEqual(failedAt + 900);

    const [manual] = await syncNow(h, linked.userId, linked.accountId);
    expect(manual?.outcome).toBe("rate_limited");
    expect(Date.parse(manual?.retryAt ?? "")).toBeGreaterThan(Date.now());

    await h.control("DELETE", "/sandbox/faults");
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
    await arrivedOnce(ids);
    expect(failuresOf(linked.unipileAccountId)).toHaveLength(1);
  }, 30_000);

  test("timeouts: the slow calls are abandoned, the sync backs off and recovers when Unipile is fast again", async () => {
    const { linked, ids } = await accountWithMissedMessages();
    await h.control("POST", "/sandbox/faults", { latency_ms: 600 });

    h.deps.sync.start();
    const [failure] = await waitFor(() => failuresOf(linked.unipileAccountId).length >= 1 && failuresOf(linked.unipileAccountId), 15_000);
    expect(failure?.failure).toMatchObject({ kind: "timeout" });
    expect(h.deps.sync.status().running).toBe(true);

    await h.control("POST", "/sandbox/faults", { latency_ms: 0 });
    await arrivedOnce(ids);
  }, 30_000);
});

describe("the sync stopped for a while", () => {
  test("after a stop longer than SYNC_CATCH_UP_AFTER_MS, the first run is a recorded catch-up that fills the gap", async () => {
    // Given: the background sync ran, then stopped (the service was down)
    const linked = await linkAccount(h);
    h.deps.sync.start();
    await waitFor(async () => (await h.deps.sql`select 1 from sync_leases where unipile_account_id = ${linked.unipileAccountId} and last_success_at is not null`).length > 0, 10_000);
    await h.deps.sync.stop();
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
    const missed = await incoming(h, linked.unipileAccountId, { from: newPhone(), text: "Pendant l'arrêt" });
    await Bun.sleep(1600);

    // When
    h.deps.sync.start();

    // Then
    const caughtUp = await waitFor(async () => (await syncEvents(h.deps.sql, syncStream(linked.unipileAccountId))).find((e) => e.data.trigger === "catch_up"), 10_000);
    expect(caughtUp.data).toMatchObject({ messagesNew: 1, newMessageIds: [missed.message_id] });
    await arrivedOnce([missed.message_id]);
  }, 20_000);
});
