/**
 * @module event-store/read-all
 * Gap-safe reading of the whole log (EVENT-SOURCING.md rule 1).
 */
import type { Queryable } from "../db/client";
import { compareLogPositions, LOG_START, type LogPosition, type RecordedEvent } from "./event";
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from "./rows";

export interface ReadAllOptions {
  /** Read strictly after this pair. @default LOG_START */
  after?: LogPosition;
  /** @default 1000 */
  limit?: number;
  /** Only these event types (the returned `position` still moves past the others). */
  types?: readonly string[];
  /** Do not read past this pair (inclusive). */
  upTo?: LogPosition;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /**
   * Where the next read starts. When fewer than `limit` events came back, it is
   * the newest event every reader can see (skipping filtered-out types), so a
   * checkpoint moves even when nothing matched.
   */
  position: LogPosition;
  /** True when the read reached the visible end of the log. */
  caughtUp: boolean;
}

/**
 * Reads events in `(transaction_id, global_position)` order, only from
 * transactions older than every transaction still running
 * (`pg_snapshot_xmin`): a transaction that commits late can never slip behind
 * a reader. Filter, head and page come from ONE statement, hence one snapshot.
 */
export async function readAll(sql: Queryable, options: ReadAllOptions = {}): Promise<ReadAllResult> {
  const after = options.after ?? LOG_START;
  const limit = options.limit ?? 1000;
  const types = options.types ? [...options.types] : null;
  const upTo = options.upTo ?? null;
  const rows = await sql<(EventRow & { head_xid: string | null; head_pos: number | null })[]>`
    with snap as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin),
    head as (
      select e.transaction_id, e.global_position from events e, snap
      where e.transaction_id < snap.xmin
        ${upTo ? sql`and (e.transaction_id, e.global_position) <= (${upTo.transactionId}::xid8, ${upTo.globalPosition}::bigint)` : sql``}
      order by e.transaction_id desc, e.global_position desc limit 1
    ),
    page as (
      select ${sql.unsafe(EVENT_COLUMNS)} from events, snap
      where (transaction_id, global_position) > (${after.transactionId}::xid8, ${after.globalPosition}::bigint)
        and transaction_id < snap.xmin
        ${types ? sql`and type = any(${types})` : sql``}
        ${upTo ? sql`and (transaction_id, global_position) <= (${upTo.transactionId}::xid8, ${upTo.globalPosition}::bigint)` : sql``}
      order by events.transaction_id, global_position
      limit ${limit}
    )
    select p.*, h.transaction_id::text as head_xid, h.global_position as head_pos
    from (select 1) one
    left join page p on true
    left join head h on true
  `;
  const events = rows.filter((r) => r.global_position !== null).map(toRecordedEvent);
  const last = events[events.length - 1];
  const headRow = rows[0];
  const head: LogPosition | null =
    headRow?.head_xid != null && headRow.head_pos != null
      ? { transactionId: headRow.head_xid, globalPosition: headRow.head_pos }
      : null;
  if (events.length === limit && last) {
    return { events, position: { transactionId: last.transactionId, globalPosition: last.globalPosition }, caughtUp: false };
  }
  // Fewer than a page: everything visible up to the head was read (or filtered out).
  const position = pickLater(after, head, last);
  return { events, position, caughtUp: true };
}

function pickLater(after: LogPosition, head: LogPosition | null, last: RecordedEvent | undefined): LogPosition {
  let best = after;
  for (const candidate of [head, last ?? null]) {
    if (candidate && compareLogPositions(candidate, best) > 0) {
      best = { transactionId: candidate.transactionId, globalPosition: candidate.globalPosition };
    }
  }
  return best;
}
