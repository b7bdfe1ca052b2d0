/**
 * @module projections/pass
 * One pass of the runner: every projection applied batch by batch until it is
 * caught up (or held by another runner), and the look at the log afterwards
 * for events the pass could not see yet.
 */
import type { Sql } from "../db/client";
import { compareLogPositions, type LogPosition } from "../event-store/event";
import { metrics, startTimer } from "../platform/metrics";
import { applyNextBatch } from "./apply-batch";
import type { Projection } from "./projection";

export interface PassOutcome {
  /** Events applied, over every projection. */
  applied: number;
  /** The lowest position a projection this pass applied reached (null when another runner held them all). */
  lowest: LogPosition | null;
}

/**
 * Applies batches until every projection is caught up (or held by another
 * runner), telling `reached` where each projection it applied stands.
 */
export async function applyPass(
  sql: Sql,
  projections: readonly Projection[],
  batchSize: number,
  reached: (name: string, position: LogPosition) => void,
): Promise<PassOutcome> {
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
  return { applied: total, lowest };
}

/**
 * Whether committed events lie past `position`. Right after a pass that
 * caught up, they are events the pass could not see yet: an older
 * transaction, anywhere on the server, was still open (or they were
 * appended since, and their NOTIFY is on its way).
 */
export async function committedPast(sql: Sql, position: LogPosition): Promise<boolean> {
  const rows = await sql<{ ahead: boolean }[]>`
    select exists(
      select 1 from events
      where (events.transaction_id, global_position) > (${position.transactionId}::xid8, ${position.globalPosition}::bigint)
    ) as ahead
  `;
  return rows[0]?.ahead === true;
}
