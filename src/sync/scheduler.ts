/**
 * @module sync/scheduler
 * Runs the account syncs of this instance. Every tick it gives new connected
 * accounts a schedule row, and claims due accounts (up to `concurrency` at a
 * time) through their Postgres lease, so each account is synced by one
 * instance at a time and a crashed instance's accounts are taken over when
 * its leases expire. A run renews its lease before every page and stops if
 * the lease is gone.
 *
 * After a run: the next one comes after the interval, jittered; at once while
 * a history import is unfinished. After a failure: exponential backoff per
 * account (never sooner than Unipile's Retry-After, which manual syncs honour
 * too), and when Unipile itself is failing (5xx, 429, timeouts) the whole
 * instance pauses with a backoff of its own, so a struggling Unipile gets a
 * trickle of calls, not one per account.
 */
import type { Logger } from "pino";
import type { AccountRow } from "../accounts";
import { getAccountByUnipileId } from "../accounts";
import type { Sql } from "../db/client";
import { failureLog } from "../db/errors";
import { metrics } from "../platform/metrics";
import type { IdGenerator } from "../lib/ids";
import type { AccountSync, RunReport, SyncFailure } from "./account-sync";
import { backoffDelayMs, isOutage, jitteredIntervalMs, retryAfterOf } from "./decider";
import { claimAccount, claimDue, ensureLeases, type Lease, makeDue, releaseLease, renewLease, type RunOutcome } from "./leases";

export interface SyncSchedulerOptions {
  sql: Sql;
  accountSync: AccountSync;
  ids: IdGenerator;
  logger: Logger;
  intervalMs: number;
  leaseMs: number;
  concurrency: number;
  maxBackoffMs: number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

export type SyncOutcome =
  | { outcome: "synced"; report: RunReport }
  | { outcome: "failed"; failure: SyncFailure; retryAt: Date }
  | { outcome: "skipped"; reason: "not_connected" }
  | { outcome: "busy" }
  | { outcome: "rate_limited"; retryAt: Date };

export interface SchedulerStatus {
  running: boolean;
  instance: string;
  intervalMs: number;
  concurrency: number;
  syncing: string[];
  /** Unipile was failing: this instance claims nothing before then. */
  pausedUntil: string | null;
  consecutiveOutages: number;
}

export type SyncScheduler = ReturnType<typeof createSyncScheduler>;

/** Longest wait between failed ticks (claiming needs the database). */
const MAX_TICK_BACKOFF_MS = 30_000;

export function createSyncScheduler(options: SyncSchedulerOptions) {
  const { sql, logger } = options;
  const random = options.random ?? Math.random;
  const instance = `sync-${options.ids.uuid()}`;
  const tickMs = Math.min(2000, Math.max(25, Math.round(options.intervalMs / 2)));
  const inFlight = new Map<string, Promise<SyncOutcome>>();
  let running = false;
  let stopping = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let pausedUntil = 0;
  let outages = 0;

  const continuation = (unipileAccountId: string) => async () => {
    if (stopping) return "stopping" as const;
    return (await renewLease(sql, { owner: instance, leaseMs: options.leaseMs, unipileAccountId })) ? ("go" as const) : ("lease_lost" as const);
  };

  function outcomeOf(lease: Lease, result: Awaited<ReturnType<AccountSync>>): RunOutcome {
    if (result.ok) {
      outages = 0;
      const importing = result.value.backfill?.state === "running";
      return { ok: true, nextRunInMs: importing ? 0 : jitteredIntervalMs(options.intervalMs, random()) };
    }
    const failure = result.error;
    if (failure.kind === "stopping") return { ok: true, nextRunInMs: 0 };
    if (failure.kind === "superseded") return { ok: true, nextRunInMs: jitteredIntervalMs(options.intervalMs, random()) };
    const failures = lease.failures + 1;
    const retryAfterMs = retryAfterOf(failure.failure);
    const delay = backoffDelayMs({ failures, baseMs: options.intervalMs, maxMs: options.maxBackoffMs, retryAfterMs, random: random() });
    if (isOutage(failure.failure)) {
      outages += 1;
      const pause = backoffDelayMs({ failures: outages, baseMs: options.intervalMs, maxMs: options.maxBackoffMs, retryAfterMs, random: random() });
      pausedUntil = Math.max(pausedUntil, Date.now() + pause);
    }
    logger.warn(
      { account: lease.unipileAccountId, operation: failure.operation, failure: failure.failure, failures, retryInMs: delay, outages },
      "sync run failed; backing off",
    );
    return { ok: false, nextRunInMs: delay, failures, error: { operation: failure.operation, ...failure.failure }, blockedForMs: retryAfterMs };
  }

  async function run(lease: Lease, manual: boolean): Promise<SyncOutcome> {
    const unipileAccountId = lease.unipileAccountId;
    const release = (outcome: RunOutcome) => releaseLease(sql, { owner: instance, unipileAccountId, outcome });
    try {
      const account = await getAccountByUnipileId(sql, unipileAccountId);
      if (!account || account.status !== "connected" || !account.userId) {
        await release({ ok: true, nextRunInMs: options.intervalMs });
        metrics.syncRuns.inc({ outcome: "skipped" });
        return { outcome: "skipped", reason: "not_connected" };
      }
      logger.debug({ account: unipileAccountId, instance, manual }, "sync run started");
      const result = await options.accountSync({ account, lastSuccessAt: lease.lastSuccessAt, manual, keepGoing: continuation(unipileAccountId) });
      const outcome = outcomeOf(lease, result);
      // Logged while the lease is still held, so the log's run intervals never overlap across instances.
      logger.debug({ account: unipileAccountId, instance, ok: result.ok }, "sync run finished");
      await release(outcome);
      recordRun(result, outcome.ok);
      if (result.ok) return { outcome: "synced", report: result.value };
      return { outcome: "failed", failure: result.error, retryAt: new Date(Date.now() + outcome.nextRunInMs) };
    } catch (error) {
      // The database or a bug, not Unipile: back off the same way and keep the loop alive.
      const failures = lease.failures + 1;
      const delay = backoffDelayMs({ failures, baseMs: options.intervalMs, maxMs: options.maxBackoffMs, random: random() });
      const { level, fields } = failureLog(error);
      metrics.syncRuns.inc({ outcome: "error" });
      metrics.syncBackoffs.inc({ cause: "internal" });
      logger[level]({ ...fields, account: unipileAccountId, failures, retryInMs: delay }, "sync run failed inside the service; backing off");
      await release({ ok: false, nextRunInMs: delay, failures, error: { operation: "internal", message: String(error) } }).catch(() => undefined);
      throw error;
    }
  }

  /** Runs a claimed account, tracked so stop() and manual syncs can wait for it. */
  function launch(lease: Lease, manual: boolean): Promise<SyncOutcome> {
    const promise = run(lease, manual).finally(() => {
      if (inFlight.get(lease.unipileAccountId) === promise) inFlight.delete(lease.unipileAccountId);
    });
    inFlight.set(lease.unipileAccountId, promise);
    return promise;
  }

  async function tick() {
    if (Date.now() < pausedUntil) return;
    await ensureLeases(sql);
    const leases = await claimDue(sql, { owner: instance, leaseMs: options.leaseMs, limit: options.concurrency - inFlight.size });
    for (const lease of leases) launch(lease, false).catch(() => undefined);
  }

  async function loopForever() {
    let tickFailures = 0;
    while (running) {
      try {
        await tick();
        tickFailures = 0;
      } catch (error) {
        // The database is unreachable, most likely: look again later and later, not every tick.
        tickFailures += 1;
        const { level, fields } = failureLog(error);
        logger[level]({ ...fields, failures: tickFailures }, "sync tick failed; backing off");
      }
      if (!running) break;
      // Capped well below the per-account backoff: the sync resumes soon after the database does.
      const maxWait = Math.min(options.maxBackoffMs, MAX_TICK_BACKOFF_MS);
      const wait = tickFailures === 0 ? tickMs : backoffDelayMs({ failures: tickFailures, baseMs: tickMs, maxMs: maxWait, random: random() });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    instance,

    /** Starts the background loop (idempotent); true when this call started it. */
    start(): boolean {
      if (running) return false;
      running = true;
      loop = loopForever();
      logger.info({ instance, intervalMs: options.intervalMs, concurrency: options.concurrency }, "sync started");
      return true;
    },

    /** Stops claiming, lets runs end at their next page (their accounts become due at once for others), waits. */
    async stop() {
      running = false;
      stopping = true;
      wake?.();
      await loop;
      loop = null;
      await Promise.allSettled([...inFlight.values()]);
      // Manual syncs may run again (the HTTP server stops before the sync on shutdown).
      stopping = false;
    },

    /** Makes these accounts due now and wakes the loop (start-sync). */
    async kick(unipileAccountIds: readonly string[]) {
      await ensureLeases(sql, unipileAccountIds);
      await makeDue(sql, unipileAccountIds);
      wake?.();
    },

    /**
     * Syncs one account now and answers what it found: waits (up to
     * `waitMs`) for a run another instance or the loop has in progress,
     * refuses while Unipile asked to wait (Retry-After) or is failing.
     */
    async syncNow(account: AccountRow, waitMs = 15000): Promise<SyncOutcome> {
      if (account.status !== "connected" || !account.userId) return { outcome: "skipped", reason: "not_connected" };
      if (Date.now() < pausedUntil) return { outcome: "rate_limited", retryAt: new Date(pausedUntil) };
      const id = account.unipileAccountId;
      await ensureLeases(sql, [id]);
      const deadline = Date.now() + waitMs;
      for (;;) {
        const claim = await claimAccount(sql, { owner: instance, leaseMs: options.leaseMs, unipileAccountId: id });
        if (claim.claimed) return launch(claim.lease, true);
        const blocked = claim.lease?.blockedUntil;
        if (blocked && blocked.getTime() > Date.now()) return { outcome: "rate_limited", retryAt: blocked };
        if (Date.now() >= deadline) return { outcome: "busy" };
        const ours = inFlight.get(id);
        if (ours) await ours.catch(() => undefined);
        else await Bun.sleep(Math.min(100, options.intervalMs));
      }
    },

    status(): SchedulerStatus {
      return {
        running,
        instance,
        intervalMs: options.intervalMs,
        concurrency: options.concurrency,
        syncing: [...inFlight.keys()],
        pausedUntil: pausedUntil > Date.now() ? new Date(pausedUntil).toISOString() : null,
        consecutiveOutages: outages,
      };
    },
  };
}

/** Counts a finished run: its outcome, a backoff, the messages it brought. */
function recordRun(result: Awaited<ReturnType<AccountSync>>, ok: boolean) {
  metrics.syncRuns.inc({ outcome: result.ok ? "synced" : "failed" });
  if (!ok) metrics.syncBackoffs.inc({ cause: "unipile" });
  if (!result.ok) return;
  metrics.syncMessages.inc({ source: "poll" }, result.value.poll.messagesNew);
}
