/**
 * @module projections/runner
 * Keeps every projection caught up with the log. Polling is the source of
 * truth; LISTEN/NOTIFY on `commsync_events` only wakes the loop early. Several
 * replicas may run it: each batch takes the projection's advisory lock, so one
 * writer applies it and the others skip.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import { EVENTS_CHANNEL } from "../event-store/rows";
import { readCheckpoint } from "./checkpoints";
import { applyPass, committedPast } from "./pass";
import { createPassLoop } from "./pass-loop";
import type { Projection } from "./projection";
import { createProjectionPositions } from "./read-your-writes";
import { rebuildProjection } from "./rebuild";
import { projectionStatus, type ProjectionStatus } from "./status";

export { projectionStatus, type ProjectionStatus } from "./status";

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

export type ProjectionRunner = ReturnType<typeof createProjectionRunner>;

/** Wakes the loop, and whoever waits for a wake-up (a copy of a send waiting for its outcome). */
function wakeHub(wakeLoop: () => void) {
  const listeners = new Set<() => void>();
  return {
    nudge() {
      wakeLoop();
      for (const listener of listeners) listener();
    },
    onWake: (listener: () => void): (() => boolean) => (listeners.add(listener), () => listeners.delete(listener)),
  };
}

export function createProjectionRunner(options: ProjectionRunnerOptions) {
  const { sql, projections, logger } = options;
  const batchSize = options.batchSize ?? 1000;
  let unlisten: (() => Promise<void>) | null = null;
  const listeners = new Set<() => void>();
  const loop = createPassLoop({
    pass: () => pass(),
    committedPast: (position) => committedPast(sql, position),
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    minPassIntervalMs: options.minPassIntervalMs ?? 20,
    logger,
  });
  const { nudge, onWake } = wakeHub(loop.nudge);
  const positions = createProjectionPositions(sql, projections, nudge);

  /**
   * Applies batches until every projection is caught up (or held by another
   * runner), then releases the waiters and tells the listeners.
   */
  async function pass() {
    const outcome = await applyPass(sql, projections, batchSize, positions.reached);
    positions.release();
    if (outcome.applied > 0) for (const listener of listeners) listener();
    return outcome;
  }

  return {
    /** Applies batches until every projection is caught up (or held by another runner); answers how many events. */
    runOnce: async () => (await pass()).applied,

    /** Rebuilds projections whose version changed, subscribes to wake-ups, starts the loop. */
    async start() {
      if (loop.running) return;
      await rebuildOutdated(sql, options.maintenanceSql ?? sql, projections, batchSize, logger);
      // The listener reconnects after an outage; then the loop looks at once (nudge on listen).
      const subscription = await sql.listen(EVENTS_CHANNEL, nudge, nudge);
      unlisten = () => subscription.unlisten();
      loop.start();
      logger?.info({ projections: projections.map((p) => p.name) }, "projection runner started");
    },

    /** Finishes the batch in flight and stops. */
    async stop() {
      await loop.stop();
      await unlisten?.().catch(() => undefined);
    },

    /** Wakes the loop now (after an append in this process). */
    nudge,

    /** Calls `listener` on each wake-up (an append's NOTIFY once started, a `nudge`, a reconnect); returns the unsubscribe. */
    onWake,

    /** Calls `listener` after each pass that applied events; returns the unsubscribe function. */
    onApplied(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /**
     * Read-your-writes: resolves true once every projection has passed `position`
     * (whichever replica applied it), false after `timeoutMs`.
     */
    waitFor: positions.waitFor,

    /** Read-your-writes for queries: every event committed before the call (see read-your-writes.ts). */
    catchUp: positions.catchUp,

    async status(): Promise<ProjectionStatus[]> {
      return Promise.all(projections.map((p) => projectionStatus(sql, p)));
    },
  };
}

/** Rebuilds the projections whose version changed since their checkpoint was written. */
async function rebuildOutdated(sql: Sql, maintenanceSql: Sql, projections: readonly Projection[], batchSize: number, logger: ProjectionRunnerOptions["logger"]) {
  for (const projection of projections) {
    const checkpoint = await readCheckpoint(sql, projection.name);
    if (checkpoint && checkpoint.version !== projection.version) {
      logger?.warn({ projection: projection.name, from: checkpoint.version, to: projection.version }, "projection version changed: rebuilding");
      await rebuildProjection(maintenanceSql, projection, { batchSize });
    }
  }
}
