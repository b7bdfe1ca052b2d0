/**
 * @module event-store/read-stream
 * Reads one stream's events in version order.
 */
import type { Queryable } from "../db/client";
import type { RecordedEvent } from "./event";
import { EVENT_COLUMNS, type EventRow, toRecordedEvent } from "./rows";

export interface ReadStreamOptions {
  /** First version to return. @default 1 */
  fromVersion?: number;
  /** @default 10000 */
  maxCount?: number;
}

export async function readStream(sql: Queryable, streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(EVENT_COLUMNS)} from events
    where stream_id = ${streamId} and stream_version >= ${options.fromVersion ?? 1}
    order by stream_version
    limit ${options.maxCount ?? 10000}
  `;
  return rows.map(toRecordedEvent);
}

/** The stream's current version; 0 when it does not exist. */
export async function readStreamVersion(sql: Queryable, streamId: string): Promise<number> {
  const rows = await sql<{ version: number }[]>`select version from streams where stream_id = ${streamId}`;
  return rows[0]?.version ?? 0;
}
