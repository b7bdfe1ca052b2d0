/**
 * @module projections/runner
 * Keeps every projection caught up with the log. Polling is the source of
 * truth; LISTEN/NOTIFY on `commsync_events` only wakes the loop early. Several
 * replicas may run it: each batch takes the projection's advisory lock, so one
 * writer applies it and the others skip.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import { failureLog } from "../db/errors";
import { compareLogPositions, LOG_START, type LogPosition } from "../event-store/event";
import { EVENTS_CHANNEL } from "../event-store/rows";
import { metrics, startTimer } from "../platform/metrics";
import { applyNextBatch } from "./apply-batch";
import { readCheckpoint } from "./checkpoints";
import type { Projection } from "./projection";
import { rebuildProjection } from "./rebuild";

export interface ProjectionRunnerOptions {
  sql: Sql;
  /** For rebuilds at start (long statements: no statement timeout). @default sql */
  maintenanceSql?: Sql;
  projections: readonly Projection[];
  /** @default 1000 */
  batchSize?: number;
  /** How often to look for events without a wake-up. @default 1000 */
  pollIntervalMs?: number;
  /**
   * Under load (woken again while a pass applied events), the next pass starts
   * no sooner than this after the last one began, so batches grow with the
   * load instead of each pass taking the few events one append brought. A
   * wake-up at rest is answered at once. @default 20
   */
  minPassIntervalMs?: number;
  logger?: Logger;
}

export interface ProjectionStatus {
  name: string;
  version: number;
  globalPosition: number;
  transactionId: string;
  /** Events in the log not yet applied (counted up to 100,001). */
  lagEvents: number;
  /** Age of the oldest event not yet applied, in ms (0 when caught up). */
  lagMs: number;
  updatedAt: string | null;
}

export type ProjectionRunner = ReturnType<typeof createProjectionRunner>;

/** Longest wait after failed batches (the database down): 2× the poll interval per failure up to this. */
const MAX_BACKOFF_MS = 10_000;
/** The first look again after a pass that could not see committed events yet; doubles up to the last. */
const HIDDEN_RETRY_MS = 10;
const HIDDEN_RETRY_MAX_MS = 1000;

export function createProjectionRunner(options: ProjectionRunnerOptions) {
  const { sql, projections, logger } = options;
  const batchSize = options.batchSize ?? 1000;
  const names = projections.map((p) => p.name);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const minPassIntervalMs = options.minPassIntervalMs ?? 20;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let pendingWake = false;
  let unlisten: (() => Promise<void>) | null = null;
  const waiters = new Set<() => void>();
  const listeners = new Set<() => void>();

  const wakeListeners = new Set<() => void>();
  const nudge = () => {
    pendingWake = true;
    wake?.();
    for (const listener of wakeListeners) listener();
  };

  /**
   * Where each projection is known to be: its checkpoint as this runner
   * committed it, or as last read (another replica may apply it). Positions
   * only move forward, so a waiter satisfied here is satisfied for good.
   */
  const known = new Map<string, LogPosition>();
  const reached = (name: string, position: LogPosition) => {
    const before = known.get(name);
    if (!before || compareLogPositions(position, before) > 0) known.set(name, position);
  };
  const passed = (position: LogPosition) =>
    projections.every((p) => {
      const at = known.get(p.name);
      return at !== undefined && compareLogPositions(at, position) >= 0;
    });
  /** One checkpoint read at a time, shared by every waiter (not one query per waiting request every 25 ms). */
  let reading: Promise<void> | null = null;
  const refreshKnown = () =>
    (reading ??= (async () => {
      try {
        const checkpoints = await Promise.all(projections.map((p) => readCheckpoint(sql, p.name)));
        checkpoints.forEach((c, i) => {
          if (c) reached((projections[i] as Projection).name, c);
        });
      } finally {
        reading = null;
      }
    })());

  /**
   * Applies batches until every projection is caught up (or held by another
   * runner). Answers how many events it applied, and the lowest position a
   * projection it applied reached (null when another runner held them all).
   */
  async function pass(): Promise<{ applied: number; lowest: LogPosition | null }> {
    let total = 0;
    let lowest: LogPosition | null = null;
    for (const projection of projections) {
      for (;;) {
        const elapsed = startTimer();
        const outcome = await applyNextBatch(sql, projection, batchSize);
        if (outcome.applied > 0) metrics.projectionBatch.observe({ projection: projection.name }, elapsed());
        total += outcome.applied;
        if (!outcome.busy) reached(projection.name, outcome.position);
        if (outcome.busy || outcome.caughtUp) {
          if (!outcome.busy && (!lowest || compareLogPositions(outcome.position, lowest) < 0)) lowest = outcome.position;
          break;
        }
      }
    }
    const pending = [...waiters];
    waiters.clear();
    for (const resolve of pending) resolve();
    if (total > 0) for (const listener of listeners) listener();
    return { applied: total, lowest };
  }

  /**
   * Whether committed events lie past `position`. Right after a pass that
   * caught up, they are events the pass could not see yet: an older
   * transaction, anywhere on the server, was still open (or they were
   * appended since, and their NOTIFY is on its way).
   */
  async function committedPast(position: LogPosition): Promise<boolean> {
    const rows = await sql<{ ahead: boolean }[]>`
      select exists(
        select 1 from events
        where (events.transaction_id, global_position) > (${position.transactionId}::xid8, ${position.globalPosition}::bigint)
      ) as ahead
    `;
    return rows[0]?.ahead === true;
  }

  /**
   * Read-your-writes: resolves true once every projection has passed `position`
   * (whichever replica applied it), false after `timeoutMs`.
   */
  async function waitFor(position: LogPosition, timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (passed(position)) return true;
      await refreshKnown();
      if (passed(position)) return true;
      if (Date.now() >= deadline) return false;
      nudge();
      await Promise.race([new Promise<void>((resolve) => waiters.add(resolve)), Bun.sleep(25)]);
    }
  }

  async function rebuildOutdated() {
    for (const projection of projections) {
      const checkpoint = await readCheckpoint(sql, projection.name);
      if (checkpoint && checkpoint.version !== projection.version) {
        logger?.warn({ projection: projection.name, from: checkpoint.version, to: projection.version }, "projection version changed: rebuilding");
        await rebuildProjection(options.maintenanceSql ?? sql, projection, { batchSize });
      }
    }
  }

  /**
   * The loop. A wake-up is spent by the pass it starts: when that pass could
   * not see the events it was woken for yet (their transactions committed
   * after an older one that is still open), the loop looks again soon, sooner
   * than the poll interval, backing off while they stay hidden.
   */
  async function run() {
    let failures = 0;
    let hiddenDelay = 0;
    while (running) {
      pendingWake = false;
      let hidden = false;
      let applied = 0;
      const passStarted = performance.now();
      try {
        const outcome = await pass();
        applied = outcome.applied;
        failures = 0;
        // Woken meanwhile: more is coming, and the next pass will look anyway.
        const { lowest } = outcome;
        hidden = !pendingWake && lowest !== null && (await committedPast(lowest));
      } catch (error) {
        failures++;
        const { level, fields } = failureLog(error);
        logger?.[level]({ ...fields, failures }, "projection batch failed; backing off");
      }
      if (!running) break;
      if (pendingWake && failures === 0) {
        const gather = minPassIntervalMs - (performance.now() - passStarted);
        if (applied > 0 && gather > 0) await Bun.sleep(gather);
        continue;
      }
      // A wake-up (an append here, a notification, the listener reconnecting) ends a backoff early.
      hiddenDelay = hidden ? Math.min(pollIntervalMs, HIDDEN_RETRY_MAX_MS, hiddenDelay === 0 ? HIDDEN_RETRY_MS : hiddenDelay * 2) : 0;
      const delay = failures > 0 ? Math.min(pollIntervalMs * 2 ** failures, MAX_BACKOFF_MS) : hidden ? hiddenDelay : pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    /** Applies batches until every projection is caught up (or held by another runner); answers how many events. */
    runOnce: async () => (await pass()).applied,

    /** Rebuilds projections whose version changed, subscribes to wake-ups, starts the loop. */
    async start() {
      if (running) return;
      await rebuildOutdated();
      // The listener reconnects after an outage; then the loop looks at once (nudge on listen).
      const subscription = await sql.listen(EVENTS_CHANNEL, nudge, nudge);
      unlisten = () => subscription.unlisten();
      running = true;
      loop = run();
      logger?.info({ projections: projections.map((p) => p.name) }, "projection runner started");
    },

    /** Finishes the batch in flight and stops. */
    async stop() {
      running = false;
      wake?.();
      await loop;
      await unlisten?.().catch(() => undefined);
      loop = null;
    },

    /** Wakes the loop now (after an append in this process). */
    nudge,

    /** Calls `listener` on each wake-up (an append's NOTIFY once started, a `nudge`, a reconnect); returns the unsubscribe. */
    onWake: (listener: () => void): (() => boolean) => (wakeListeners.add(listener), () => wakeListeners.delete(listener)),

    /** Calls `listener` after each pass that applied events; returns the unsubscribe function. */
    onApplied(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    waitFor,

    /**
     * Read-your-writes for queries: resolves true once every projection has
     * applied every event committed before the call (the newest committed
     * pair is the target), false after `timeoutMs` (the caller then reads
     * what is there).
     */
    async catchUp(timeoutMs = 1000): Promise<boolean> {
      // One round trip when (as nearly always) every projection is already there: the head and
      // whether each checkpoint has passed it, in one statement. `events.` matters: a bare
      // `transaction_id` would name the text alias, sorting as text ("9" after "10") and reading
      // the whole index instead of its last entry.
      const rows = await sql<{ head_xid: string; head_pos: number; passed: number }[]>`
        select h.transaction_id::text as head_xid, h.global_position as head_pos,
               (select count(*)::int from projection_checkpoints c
                where c.name = any(${names}) and (c.transaction_id, c.global_position) >= (h.transaction_id, h.global_position)) as passed
        from (select transaction_id, global_position from events
              order by events.transaction_id desc, global_position desc limit 1) h
      `;
      const head = rows[0];
      if (!head || head.passed === names.length) return true;
      return waitFor({ transactionId: head.head_xid, globalPosition: head.head_pos }, timeoutMs);
    },

    async status(): Promise<ProjectionStatus[]> {
      return Promise.all(projections.map((p) => projectionStatus(sql, p)));
    },
  };
}

export async function projectionStatus(sql: Sql, projection: Projection): Promise<ProjectionStatus> {
  const checkpoint = (await readCheckpoint(sql, projection.name)) ?? { ...LOG_START, version: projection.version, updatedAt: null };
  const rows = await sql<{ lag: number; oldest: Date | null }[]>`
    select count(*)::int as lag, min(recorded_at) as oldest from (
      select recorded_at from events
      where (transaction_id, global_position) > (${checkpoint.transactionId}::xid8, ${checkpoint.globalPosition}::bigint)
        and type = any(${[...projection.eventTypes]})
      limit 100001
    ) pending
  `;
  const lag = rows[0] ?? { lag: 0, oldest: null };
  return {
    name: projection.name,
    version: checkpoint.version,
    globalPosition: checkpoint.globalPosition,
    transactionId: checkpoint.transactionId,
    lagEvents: lag.lag,
    lagMs: lag.oldest ? Math.max(0, Date.now() - lag.oldest.getTime()) : 0,
    updatedAt: checkpoint.updatedAt ? checkpoint.updatedAt.toISOString() : null,
  };
}
