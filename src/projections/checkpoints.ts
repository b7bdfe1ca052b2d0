/**
 * @module projections/checkpoints
 * Reads and saves a projection's checkpoint inside the caller's transaction.
 */
import type { Queryable, TransactionSql } from "../db/client";
import type { LogPosition } from "../event-store/event";

export interface Checkpoint extends LogPosition {
  version: number;
  updatedAt: Date | null;
}

export async function readCheckpoint(sql: Queryable, name: string): Promise<Checkpoint | null> {
  const rows = await sql<{ transaction_id: string; global_position: number; version: number; updated_at: Date }[]>`
    select transaction_id::text as transaction_id, global_position, version, updated_at
    from projection_checkpoints where name = ${name}
  `;
  const row = rows[0];
  return row
    ? { transactionId: row.transaction_id, globalPosition: row.global_position, version: row.version, updatedAt: row.updated_at }
    : null;
}

export async function saveCheckpoint(tx: TransactionSql, name: string, position: LogPosition, version: number) {
  await tx`
    insert into projection_checkpoints (name, transaction_id, global_position, version, updated_at)
    values (${name}, ${position.transactionId}::xid8, ${position.globalPosition}, ${version}, now())
    on conflict (name) do update set
      transaction_id = excluded.transaction_id,
      global_position = excluded.global_position,
      version = excluded.version,
      updated_at = excluded.updated_at
  `;
}

/** Namespace of the advisory locks that keep one writer per projection. */
export const PROJECTION_LOCK_NAMESPACE = 7_304_118;

/** Takes the projection's lock for this transaction if free; false when another runner holds it. */
export async function tryLockProjection(tx: TransactionSql, name: string): Promise<boolean> {
  const rows = await tx<{ locked: boolean }[]>`
    select pg_try_advisory_xact_lock(${PROJECTION_LOCK_NAMESPACE}, hashtext(${name})) as locked
  `;
  return rows[0]?.locked === true;
}

/** Waits for the projection's lock for this transaction. */
export async function lockProjection(tx: TransactionSql, name: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(${PROJECTION_LOCK_NAMESPACE}, hashtext(${name}))`;
}
