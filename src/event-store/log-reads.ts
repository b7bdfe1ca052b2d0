/**
 * @module event-store/log-reads
 * Reads of the log by type, by dedupe key or by time, for services that need
 * one fact rather than a whole stream. Ids and keys are looked up as the log
 * stores them (`storableId`), so one with a NUL finds its event.
 */
import type { Queryable } from "../db/client";
import { LOG_START, type LogPosition, type RecordedEvent } from "./event";
import { type EventRow, eventColumns, toRecordedEvent } from "./rows";
import { storableId } from "./storable";

/** The newest event of a stream, of one of `types` when given; null when there is none. */
export async function readLastInStream(sql: Queryable, streamId: string, types?: readonly string[]): Promise<RecordedEvent | null> {
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(eventColumns())} from events
    where stream_id = ${storableId(streamId)} ${types ? sql`and type = any(${types as string[]})` : sql``}
    order by stream_version desc limit 1
  `;
  return rows[0] ? toRecordedEvent(rows[0]) : null;
}

/**
 * The newest event of each stream, of one of `types` when given: one index
 * lookup per stream however long it is. Keyed by the stream ids as given;
 * a stream with no such event is absent.
 */
export async function readLastInStreams(
  sql: Queryable,
  streamIds: readonly string[],
  types?: readonly string[],
): Promise<Map<string, RecordedEvent>> {
  if (streamIds.length === 0) return new Map();
  const rows = await sql<(EventRow & { n: number })[]>`
    select s.n::int as n, e.* from unnest(${streamIds.map(storableId)}::text[]) with ordinality as s(stream_id, n)
    cross join lateral (
      select ${sql.unsafe(eventColumns())} from events
      where events.stream_id = s.stream_id ${types ? sql`and type = any(${types as string[]})` : sql``}
      order by stream_version desc limit 1
    ) e
  `;
  return new Map(rows.map((r) => [streamIds[r.n - 1] as string, toRecordedEvent(r)]));
}

/** Whether the log holds an event with this dedupe key. */
export async function hasDedupeKey(sql: Queryable, dedupeKey: string): Promise<boolean> {
  const rows = await sql`select 1 from events where dedupe_key = ${storableId(dedupeKey)} limit 1`;
  return rows.length > 0;
}

/** The position of the last event recorded before `time` (in reading order); the log's start when none. */
export async function positionBefore(sql: Queryable, time: Date): Promise<LogPosition> {
  const [before] = await sql<{ xid: string; pos: number }[]>`
    select transaction_id::text as xid, global_position as pos from events
    where recorded_at < ${time} order by transaction_id desc, global_position desc limit 1
  `;
  return before ? { transactionId: before.xid, globalPosition: before.pos } : LOG_START;
}
