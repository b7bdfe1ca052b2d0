/**
 * @module projections/apply-batch
 * One step of a projection: read the next page of its events and apply it.
 */
import type { Sql, TransactionSql } from "../db/client";
import { compareLogPositions, LOG_START, type LogPosition } from "../event-store/event";
import { readAll } from "../event-store/read-all";
import { readCheckpoint, saveCheckpoint, tryLockProjection } from "./checkpoints";
import { liveTables, type Projection, type TableNames } from "./projection";

export interface BatchOutcome {
  applied: number;
  caughtUp: boolean;
  position: LogPosition;
  /** Another runner holds this projection's lock. */
  busy: boolean;
}

/**
 * Applies the next batch to the live tables: the lock, the checkpoint read, the
 * page read, the rows and the new checkpoint are one transaction, so a crash
 * never half-applies a batch and two runners never both apply one.
 */
export async function applyNextBatch(sql: Sql, projection: Projection, batchSize: number): Promise<BatchOutcome> {
  return sql.begin(async (tx) => {
    if (!(await tryLockProjection(tx, projection.name))) {
      return { applied: 0, caughtUp: false, position: LOG_START, busy: true };
    }
    await relaxCommit(tx);
    const checkpoint = (await readCheckpoint(tx, projection.name)) ?? LOG_START;
    const outcome = await applyPage(tx, projection, liveTables(projection), checkpoint, batchSize);
    if (outcome.position !== checkpoint) {
      await saveCheckpoint(tx, projection.name, outcome.position, projection.version);
    }
    return { ...outcome, busy: false };
  });
}

/**
 * A projection batch commits without waiting for its WAL flush: its rows and
 * its checkpoint are one transaction, so a crash can only lose both together,
 * and the batch is applied again from the log. The log's own appends keep
 * waiting for the flush: a webhook is answered only once its fact is durable.
 */
export async function relaxCommit(tx: TransactionSql) {
  await tx`set local synchronous_commit = off`;
}

/** Reads one page after `after` (not past `upTo`) and applies it to `tables`. */
export async function applyPage(
  tx: TransactionSql,
  projection: Projection,
  tables: TableNames,
  after: LogPosition,
  batchSize: number,
  upTo?: LogPosition,
): Promise<Omit<BatchOutcome, "busy">> {
  const page = await readAll(tx, { after, limit: batchSize, types: projection.eventTypes, upTo });
  if (page.events.length > 0) await projection.apply(tx, page.events, tables);
  const moved = compareLogPositions(page.position, after) !== 0;
  return { applied: page.events.length, caughtUp: page.caughtUp, position: moved ? page.position : after };
}

/** Applies pages inside `tx` until the visible end of the log (or `upTo`). */
export async function catchUpInTransaction(
  tx: TransactionSql,
  projection: Projection,
  tables: TableNames,
  from: LogPosition,
  batchSize: number,
  upTo?: LogPosition,
): Promise<{ position: LogPosition; applied: number }> {
  let position = from;
  let applied = 0;
  for (;;) {
    const outcome = await applyPage(tx, projection, tables, position, batchSize, upTo);
    position = outcome.position;
    applied += outcome.applied;
    if (outcome.caughtUp) return { position, applied };
  }
}
