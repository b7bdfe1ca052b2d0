/**
 * @module event-store/event-filter
 * The SQL conditions `readAll` adds for readers that want part of the log
 * (auditors filtering by stream, account, type or time). Kept beside
 * `read-all.ts` so the gap-safe statement stays one statement whatever the
 * filter.
 */
import type { Queryable } from "../db/client";
import { storableId } from "./storable";

/**
 * One alternative of `anyOf`: an event matches when every given field does.
 * `data` compares one top-level text field of the event's data
 * (`data->>'key' = value`); the key is written into the SQL as a literal so
 * an expression index on it can serve the read, hence the strict key format.
 */
export interface EventMatch {
  streamId?: string;
  data?: { key: string; value: string };
}

export interface EventFilter {
  /** Only these event types. */
  types?: readonly string[];
  /** Events matching at least one of these (absent or empty: every event). */
  anyOf?: readonly EventMatch[];
  /** `recorded_at` at or after this time. */
  recordedFrom?: Date;
  /**
   * `recorded_at` at or before this time, to the millisecond: events are
   * served with millisecond times, so an event's own `recordedAt` finds it.
   */
  recordedTo?: Date;
  /** `global_position` at most this. */
  maxGlobalPosition?: number;
}

const DATA_KEY = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** `and …` conditions shared by every alternative (empty fragment when none). */
export function commonConditions(sql: Queryable, filter: EventFilter) {
  const types = filter.types ? [...filter.types] : null;
  return sql`
    ${types ? sql`and type = any(${types})` : sql``}
    ${filter.recordedFrom ? sql`and recorded_at >= ${filter.recordedFrom}` : sql``}
    ${filter.recordedTo ? sql`and recorded_at < ${filter.recordedTo}::timestamptz + interval '1 millisecond'` : sql``}
    ${filter.maxGlobalPosition !== undefined ? sql`and global_position <= ${filter.maxGlobalPosition}::bigint` : sql``}
  `;
}

/** `and …` conditions of one alternative. */
export function matchConditions(sql: Queryable, match: EventMatch) {
  const { data } = match;
  if (data && !DATA_KEY.test(data.key)) throw new Error(`event filter: unsupported data key ${JSON.stringify(data.key)}`);
  return sql`
    ${match.streamId !== undefined ? sql`and stream_id = ${storableId(match.streamId)}` : sql``}
    ${data ? sql`and ${sql.unsafe(`data->>'${data.key}'`)} = ${data.value}` : sql``}
  `;
}
