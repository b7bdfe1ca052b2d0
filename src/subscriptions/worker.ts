/**
 * @module subscriptions/worker
 * Delivers each subscription from the log. A replica holds a lease per
 * subscription it delivers (renewed every tick; a crashed replica's leases
 * expire and are taken over). Per held subscription, a pump reads the feed
 * after the checkpoint into the queue (checkpoint and queue move together),
 * then sends the oldest queued event of each conversation, at most N at once,
 * so a conversation's events arrive in log order and slow receivers only hold
 * up their own subscription. After a failure the subscription waits (backoff
 * or Retry-After, in the database, so restarts keep the schedule) and probes
 * with one delivery at a time until one succeeds.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import type { Projection } from "../projections/projection";
import type { ProjectionRunner } from "../projections/runner";
import type { RetrySettings } from "./policy";
import { startPump, type WorkerState } from "./pump";
import type { SubscriptionService } from "./service";
import { claimLeases, ensureStates, releaseLeases } from "./store";

export interface DeliverySettings {
  maxInFlight: number;
  timeoutMs: number;
  allowPrivate: boolean;
  leaseMs: number;
  pollMs: number;
  retry: RetrySettings;
}

export interface WorkerDeps {
  sql: Sql;
  runner: ProjectionRunner;
  projections: readonly Projection[];
  service: SubscriptionService;
  logger: Logger;
  settings: DeliverySettings;
  replica: string;
}

const SUBSCRIPTIONS_PER_REPLICA = 1000;

export type SubscriptionWorker = ReturnType<typeof createSubscriptionWorker>;

interface WorkerRun extends WorkerState {
  timer: ReturnType<typeof setTimeout> | undefined;
  unsubscribe: () => void;
  ticking: Promise<void>;
}

/** The log (or a checkpoint) may have moved: every pump reads it again. */
function wakeAll(run: WorkerState) {
  for (const p of run.pumps.values()) p.logMoved();
}

async function tick(run: WorkerRun) {
  const { sql, settings } = run.deps;
  try {
    await ensureStates(sql);
    run.held = new Set(await claimLeases(sql, { owner: run.deps.replica, leaseMs: settings.leaseMs, limit: SUBSCRIPTIONS_PER_REPLICA }));
    for (const id of run.held) if (!run.pumps.has(id)) startPump(run, id);
    wakeAll(run);
  } catch (error) {
    run.deps.logger.warn({ err: error }, "subscription lease round failed");
  }
}

function schedule(run: WorkerRun) {
  if (!run.running) return;
  const { settings } = run.deps;
  run.timer = setTimeout(() => {
    run.ticking = tick(run).finally(() => schedule(run));
  }, Math.min(settings.pollMs, Math.floor(settings.leaseMs / 3)));
}

export function createSubscriptionWorker(deps: WorkerDeps) {
  const run: WorkerRun = { deps, pumps: new Map(), held: new Set(), running: false, timer: undefined, unsubscribe: () => undefined, ticking: Promise.resolve() };
  const nudge = () => wakeAll(run);
  return {
    start() {
      if (run.running) return;
      run.running = true;
      run.unsubscribe = deps.runner.onApplied(nudge);
      run.ticking = tick(run).finally(() => schedule(run));
    },
    /** Stops taking work, lets in-flight deliveries finish, and gives the leases back. */
    async stop() {
      if (!run.running) return;
      run.running = false;
      clearTimeout(run.timer);
      run.unsubscribe();
      await run.ticking;
      nudge();
      await Promise.allSettled([...run.pumps.values()].map((p) => p.done));
      // Only when it holds some: shutdown stays as short as before for a replica without subscriptions.
      if (run.held.size > 0) await releaseLeases(deps.sql, deps.replica).catch(() => undefined);
      run.held = new Set();
    },
    /** Looks for work now (after a replay or a re-enable). */
    nudge,
  };
}
