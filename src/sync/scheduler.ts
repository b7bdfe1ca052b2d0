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
import type { Sql } from "../db/client";
import type { IdGenerator } from "../lib/ids";
import type { AccountSync, RunReport, SyncFailure } from "./account-sync";
import { claimAccount, ensureLeases, makeDue } from "./leases";
import { createSchedulerState, launch, loopForever, type SchedulerState } from "./scheduler-run";

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

/**
 * Syncs one account now and answers what it found: waits (up to
 * `waitMs`) for a run another instance or the loop has in progress,
 * refuses while Unipile asked to wait (Retry-After) or is failing.
 */
async function syncAccountNow(s: SchedulerState, account: AccountRow, waitMs: number): Promise<SyncOutcome> {
  const { sql, leaseMs, intervalMs } = s.options;
  if (account.status !== "connected" || !account.userId) return { outcome: "skipped", reason: "not_connected" };
  if (Date.now() < s.pausedUntil) return { outcome: "rate_limited", retryAt: new Date(s.pausedUntil) };
  const id = account.unipileAccountId;
  await ensureLeases(sql, [id]);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const claim = await claimAccount(sql, { owner: s.instance, leaseMs, unipileAccountId: id });
    if (claim.claimed) return launch(s, claim.lease, true);
    const blocked = claim.lease?.blockedUntil;
    if (blocked && blocked.getTime() > Date.now()) return { outcome: "rate_limited", retryAt: blocked };
    if (Date.now() >= deadline) return { outcome: "busy" };
    const ours = s.inFlight.get(id);
    if (ours) await ours.catch(() => undefined);
    else await Bun.sleep(Math.min(100, intervalMs));
  }
}

function statusOf(s: SchedulerState): SchedulerStatus {
  return {
    running: s.running,
    instance: s.instance,
    intervalMs: s.options.intervalMs,
    concurrency: s.options.concurrency,
    syncing: [...s.inFlight.keys()],
    pausedUntil: s.pausedUntil > Date.now() ? new Date(s.pausedUntil).toISOString() : null,
    consecutiveOutages: s.outages,
  };
}

export function createSyncScheduler(options: SyncSchedulerOptions) {
  const s = createSchedulerState(options);
  const { instance } = s;
  return {
    instance,

    /** Starts the background loop (idempotent); true when this call started it. */
    start(): boolean {
      if (s.running) return false;
      s.running = true;
      s.loop = loopForever(s);
      options.logger.info({ instance, intervalMs: options.intervalMs, concurrency: options.concurrency }, "sync started");
      return true;
    },

    /** Stops claiming, lets runs end at their next page (their accounts become due at once for others), waits. */
    async stop() {
      s.running = false;
      s.stopping = true;
      s.wake?.();
      await s.loop;
      s.loop = null;
      await Promise.allSettled([...s.inFlight.values()]);
      // Manual syncs may run again (the HTTP server stops before the sync on shutdown).
      s.stopping = false;
    },

    /** Makes these accounts due now and wakes the loop (start-sync). */
    async kick(unipileAccountIds: readonly string[]) {
      await ensureLeases(options.sql, unipileAccountIds);
      await makeDue(options.sql, unipileAccountIds);
      s.wake?.();
    },

    /**
     * Syncs one account now and answers what it found: waits (up to
     * `waitMs`) for a run another instance or the loop has in progress,
     * refuses while Unipile asked to wait (Retry-After) or is failing.
     */
    syncNow(account: AccountRow, waitMs = 15000): Promise<SyncOutcome> {
      return syncAccountNow(s, account, waitMs);
    },

    status(): SchedulerStatus {
      return statusOf(s);
    },
  };
}
