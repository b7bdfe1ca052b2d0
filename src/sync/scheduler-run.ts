/**
 * @module sync/scheduler-run
 * The scheduler's moving parts over its state: one account run (lease renewed
 * before every page, released with the outcome), the outcome's backoff and
 * instance-wide pause, and the claiming loop.
 */
import { getAccountByUnipileId } from "../accounts";
import { failureLog } from "../db/errors";
import { metrics } from "../platform/metrics";
import type { AccountSync } from "./account-sync";
import { backoffDelayMs, isOutage, jitteredIntervalMs, retryAfterOf } from "./decider";
import { claimDue, ensureLeases, type Lease, releaseLease, renewLease, type RunOutcome } from "./leases";
import type { SyncOutcome, SyncSchedulerOptions } from "./scheduler";

/** Longest wait between failed ticks (claiming needs the database). */
const MAX_TICK_BACKOFF_MS = 30_000;

/** The scheduler's options and its mutable state. */
export interface SchedulerState {
  options: SyncSchedulerOptions;
  random: () => number;
  instance: string;
  tickMs: number;
  inFlight: Map<string, Promise<SyncOutcome>>;
  running: boolean;
  stopping: boolean;
  loop: Promise<void> | null;
  wake: (() => void) | null;
  pausedUntil: number;
  outages: number;
}

export function createSchedulerState(options: SyncSchedulerOptions): SchedulerState {
  return {
    options,
    random: options.random ?? Math.random,
    instance: `sync-${options.ids.uuid()}`,
    tickMs: Math.min(2000, Math.max(25, Math.round(options.intervalMs / 2))),
    inFlight: new Map(),
    running: false,
    stopping: false,
    loop: null,
    wake: null,
    pausedUntil: 0,
    outages: 0,
  };
}

const continuation = (s: SchedulerState, unipileAccountId: string) => async () => {
  if (s.stopping) return "stopping" as const;
  return (await renewLease(s.options.sql, { owner: s.instance, leaseMs: s.options.leaseMs, unipileAccountId })) ? ("go" as const) : ("lease_lost" as const);
};

function outcomeOf(s: SchedulerState, lease: Lease, result: Awaited<ReturnType<AccountSync>>): RunOutcome {
  const { options, random } = s;
  if (result.ok) {
    s.outages = 0;
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
    s.outages += 1;
    const pause = backoffDelayMs({ failures: s.outages, baseMs: options.intervalMs, maxMs: options.maxBackoffMs, retryAfterMs, random: random() });
    s.pausedUntil = Math.max(s.pausedUntil, Date.now() + pause);
  }
  options.logger.warn(
    { account: lease.unipileAccountId, operation: failure.operation, failure: failure.failure, failures, retryInMs: delay, outages: s.outages },
    "sync run failed; backing off",
  );
  return { ok: false, nextRunInMs: delay, failures, error: { operation: failure.operation, ...failure.failure }, blockedForMs: retryAfterMs };
}

async function run(s: SchedulerState, lease: Lease, manual: boolean): Promise<SyncOutcome> {
  const { options, instance } = s;
  const { sql, logger } = options;
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
    const result = await options.accountSync({ account, lastSuccessAt: lease.lastSuccessAt, manual, keepGoing: continuation(s, unipileAccountId) });
    const outcome = outcomeOf(s, lease, result);
    // Logged while the lease is still held, so the log's run intervals never overlap across instances.
    logger.debug({ account: unipileAccountId, instance, ok: result.ok }, "sync run finished");
    await release(outcome);
    recordRun(result, outcome.ok);
    if (result.ok) return { outcome: "synced", report: result.value };
    return { outcome: "failed", failure: result.error, retryAt: new Date(Date.now() + outcome.nextRunInMs) };
  } catch (error) {
    // The database or a bug, not Unipile: back off the same way and keep the loop alive.
    const failures = lease.failures + 1;
    const delay = backoffDelayMs({ failures, baseMs: options.intervalMs, maxMs: options.maxBackoffMs, random: s.random() });
    const { level, fields } = failureLog(error);
    metrics.syncRuns.inc({ outcome: "error" });
    metrics.syncBackoffs.inc({ cause: "internal" });
    logger[level]({ ...fields, account: unipileAccountId, failures, retryInMs: delay }, "sync run failed inside the service; backing off");
    await release({ ok: false, nextRunInMs: delay, failures, error: { operation: "internal", message: String(error) } }).catch(() => undefined);
    throw error;
  }
}

/** Runs a claimed account, tracked so stop() and manual syncs can wait for it. */
export function launch(s: SchedulerState, lease: Lease, manual: boolean): Promise<SyncOutcome> {
  const promise = run(s, lease, manual).finally(() => {
    if (s.inFlight.get(lease.unipileAccountId) === promise) s.inFlight.delete(lease.unipileAccountId);
  });
  s.inFlight.set(lease.unipileAccountId, promise);
  return promise;
}

async function tick(s: SchedulerState) {
  if (Date.now() < s.pausedUntil) return;
  const { sql, leaseMs, concurrency } = s.options;
  await ensureLeases(sql);
  const leases = await claimDue(sql, { owner: s.instance, leaseMs, limit: concurrency - s.inFlight.size });
  for (const lease of leases) launch(s, lease, false).catch(() => undefined);
}

export async function loopForever(s: SchedulerState) {
  const { options, tickMs } = s;
  let tickFailures = 0;
  while (s.running) {
    try {
      await tick(s);
      tickFailures = 0;
    } catch (error) {
      // The database is unreachable, most likely: look again later and later, not every tick.
      tickFailures += 1;
      const { level, fields } = failureLog(error);
      options.logger[level]({ ...fields, failures: tickFailures }, "sync tick failed; backing off");
    }
    if (!s.running) break;
    // Capped well below the per-account backoff: the sync resumes soon after the database does.
    const maxWait = Math.min(options.maxBackoffMs, MAX_TICK_BACKOFF_MS);
    const wait = tickFailures === 0 ? tickMs : backoffDelayMs({ failures: tickFailures, baseMs: tickMs, maxMs: maxWait, random: s.random() });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      s.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    s.wake = null;
  }
}

/** Counts a finished run: its outcome, a backoff, the messages it brought. */
function recordRun(result: Awaited<ReturnType<AccountSync>>, ok: boolean) {
  metrics.syncRuns.inc({ outcome: result.ok ? "synced" : "failed" });
  if (!ok) metrics.syncBackoffs.inc({ cause: "unipile" });
  if (!result.ok) return;
  metrics.syncMessages.inc({ source: "poll" }, result.value.poll.messagesNew);
}
