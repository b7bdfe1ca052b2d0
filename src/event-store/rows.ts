/**
 * @module event-store/rows
 * Row mapping and JSON encoding shared by the event-store SQL operations.
 */
import type { NewEvent, RecordedEvent } from "./event";

export interface EventRow {
  global_position: number;
  transaction_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: RecordedEvent["metadata"];
  dedupe_key: string | null;
  recorded_at: Date | string;
}

export const EVENT_COLUMNS =
  "global_position, transaction_id::text as transaction_id, stream_id, stream_version, type, schema_version, data, metadata, dedupe_key, recorded_at";

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    globalPosition: row.global_position,
    transactionId: row.transaction_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    dedupeKey: row.dedupe_key,
    recordedAt: new Date(row.recorded_at),
  };
}

/**
 * Encodes events as one JSON array parameter: the statement unpacks it with
 * `jsonb_array_elements`, so any number of events is one statement, and data
 * and metadata stay JSON objects (never JSON strings) in the log.
 */
export function encodeEvents(events: readonly (NewEvent & { streamId?: string })[]): string {
  return JSON.stringify(
    events.map((e) => ({
      streamId: e.streamId ?? null,
      type: e.type,
      schemaVersion: e.schemaVersion ?? 1,
      data: e.data ?? {},
      metadata: e.metadata,
      dedupeKey: e.dedupeKey ?? null,
    })),
  );
}

export const EVENTS_CHANNEL = "commsync_events";
