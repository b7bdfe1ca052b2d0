/**
 * @module event-store/read-all
 * Gap-safe reading of the whole log (EVENT-SOURCING.md rule 1).
 */
import type { Queryable } from "../db/client";
import { compareLogPositions, LOG_START, type LogPosition, type RecordedEvent } from "./event";
import { commonConditions, type EventFilter, type EventMatch, matchConditions } from "./event-filter";
import { type EventRow, eventColumns, toRecordedEvent } from "./rows";

/**
 * Filters (`types`, `anyOf`, times, positions) only choose which events come
 * back: the returned `position` still moves past the others.
 */
export interface ReadAllOptions extends EventFilter {
  /** Read strictly after this pair. @default LOG_START */
  after?: LogPosition;
  /** @default 1000 */
  limit?: number;
  /** Do not read past this pair (inclusive). */
  upTo?: LogPosition;
  /** Read the `raw` column too (auditors; projections leave it). */
  withRaw?: boolean;
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
  const upTo = options.upTo ?? null;
  const anyOf = options.anyOf ?? [];
  const rows = await sql<(EventRow & { head_xid: string | null; head_pos: number | null })[]>`
    with snap as (select pg_snapshot_xmin(pg_current_snapshot()) as xmin),
    head as (
      select e.transaction_id, e.global_position from events e, snap
      where e.transaction_id < snap.xmin
        ${upTo ? sql`and (e.transaction_id, e.global_position) <= (${upTo.transactionId}::xid8, ${upTo.globalPosition}::bigint)` : sql``}
      order by e.transaction_id desc, e.global_position desc limit 1
    ),
    page as (${anyOf.length > 1 ? unionPage(sql, options, after, limit, anyOf) : simplePage(sql, options, after, limit, anyOf[0])})
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

/** The visible, unread window of the log, with the filters every alternative shares. */
function unread(sql: Queryable, options: ReadAllOptions, after: LogPosition) {
  const { upTo } = options;
  return sql`
    (transaction_id, global_position) > (${after.transactionId}::xid8, ${after.globalPosition}::bigint)
    and transaction_id < snap.xmin
    ${upTo ? sql`and (transaction_id, global_position) <= (${upTo.transactionId}::xid8, ${upTo.globalPosition}::bigint)` : sql``}
    ${commonConditions(sql, options)}
  `;
}

function simplePage(sql: Queryable, options: ReadAllOptions, after: LogPosition, limit: number, match: EventMatch | undefined) {
  return sql`
    select ${sql.unsafe(eventColumns(options.withRaw))} from events, snap
    where ${unread(sql, options, after)} ${match ? matchConditions(sql, match) : sql``}
    order by events.transaction_id, global_position
    limit ${limit}
  `;
}

/**
 * Several alternatives (an account's own stream, or events naming it): each
 * is read in log order on its own, through its own index, and the first
 * `limit` of their union are kept. One `OR` would make Postgres collect and
 * sort every matching event for every page.
 */
function unionPage(sql: Queryable, options: ReadAllOptions, after: LogPosition, limit: number, anyOf: readonly EventMatch[]) {
  const branch = (match: EventMatch) => sql`(
    select transaction_id, global_position from events, snap
    where ${unread(sql, options, after)} ${matchConditions(sql, match)}
    order by transaction_id, global_position
    limit ${limit}
  )`;
  const branches = anyOf.slice(1).reduce((union, match) => sql`${union} union ${branch(match)}`, branch(anyOf[0] as EventMatch));
  return sql`
    select ${sql.unsafe(eventColumns(options.withRaw))} from events
    where global_position in (
      select global_position from (${branches}) k order by transaction_id, global_position limit ${limit}
    )
    order by events.transaction_id, global_position
  `;
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
