/**
 * @module event-store/read-stream
 * Reads one stream's events in version order. A stream id is looked up as
 * the log stores it (`storableId`), so an id with a NUL finds its stream.
 */
import type { Queryable } from "../db/client";
import type { RecordedEvent } from "./event";
import { type EventRow, eventColumns, toRecordedEvent } from "./rows";
import { storableId } from "./storable";

export interface ReadStreamOptions {
  /** First version to return. @default 1 */
  fromVersion?: number;
  /** @default 10000 */
  maxCount?: number;
  /** Read the `raw` column too (auditors). */
  withRaw?: boolean;
}

export async function readStream(sql: Queryable, streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
  const rows = await sql<EventRow[]>`
    select ${sql.unsafe(eventColumns(options.withRaw))} from events
    where stream_id = ${storableId(streamId)} and stream_version >= ${options.fromVersion ?? 1}
    order by stream_version
    limit ${options.maxCount ?? 10000}
  `;
  return rows.map(toRecordedEvent);
}

/** The stream's current version; 0 when it does not exist. */
export async function readStreamVersion(sql: Queryable, streamId: string): Promise<number> {
  const rows = await sql<{ version: number }[]>`select version from streams where stream_id = ${storableId(streamId)}`;
  return rows[0]?.version ?? 0;
}
