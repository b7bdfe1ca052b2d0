/**
 * @module projections/status
 * Where a projection stands: its checkpoint and how far the log is ahead of it
 * (for /ready, the metrics and the audit API).
 */
import type { Sql } from "../db/client";
import { LOG_START } from "../event-store/event";
import { readCheckpoint } from "./checkpoints";
import type { Projection } from "./projection";

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
