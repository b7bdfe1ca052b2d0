/**
 * @module projections/projection
 * The projection contract. A projection owns tables, reads some event types,
 * and applies batches of events to its tables; the runner reads the log, calls
 * `apply` and saves the checkpoint in the same transaction.
 *
 * `apply` writes to the physical tables it is given, never to fixed names: the
 * same code builds the live tables, the scratch tables of a rebuild, and the
 * tables `replay --verify` compares with the live ones.
 */
import type { TransactionSql } from "../db/client";
import type { RecordedEvent } from "../event-store/event";

/** Maps each live table name of a projection to the physical table to write. */
export type TableNames = Readonly<Record<string, string>>;

export interface Projection {
  /** Checkpoint key; stable forever. */
  readonly name: string;
  /** Bump when the projection's output changes: the runner rebuilds it from the log. */
  readonly version: number;
  /** Event types it reads; the others never reach `apply`. */
  readonly eventTypes: readonly string[];
  /**
   * Tables it owns, by live name. Rows take every value from events (no
   * serials, no now()), and columns use types with equality (jsonb, not json),
   * so a rebuild can be compared row for row.
   */
  readonly tables: readonly string[];
  apply(tx: TransactionSql, events: readonly RecordedEvent[], tables: TableNames): Promise<void>;
  /**
   * Live indexes (by name) that `apply`'s own statements need while a rebuild
   * fills its tables. Every other plain index is built once, after the fill;
   * primary keys and unique constraints are always kept.
   */
  readonly rebuildIndexes?: readonly string[];
  /**
   * A rebuild's way to apply the log's pages, which may keep rows in memory
   * across batches and write them at `finish` (the rebuild's tables are its
   * own until the swap). Without it, a rebuild calls `apply` page by page.
   */
  beginRebuild?(tables: TableNames): RebuildSession;
}

export interface RebuildSession {
  apply(tx: TransactionSql, events: readonly RecordedEvent[]): Promise<void>;
  /** Writes what the session still holds; the tables are then exactly what `apply` would have made. */
  finish(tx: TransactionSql): Promise<void>;
}

export const liveTables = (projection: Projection): TableNames =>
  Object.fromEntries(projection.tables.map((t) => [t, t]));

export const suffixedTables = (projection: Projection, suffix: string): TableNames =>
  Object.fromEntries(projection.tables.map((t) => [t, `${t}${suffix}`]));
