/**
 * @module event-store/rows
 * Row mapping and JSON encoding shared by the event-store SQL operations.
 */
import type { NewEvent, RecordedEvent, SanitizedNote } from "./event";
import { jsonNeedsCare, noteStorableId, type ReplacementNote, replaceUnstorable } from "./storable";

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
  /** Only when read with `withRaw`. */
  raw?: Uint8Array | null;
}

export const EVENT_COLUMNS =
  "global_position, transaction_id::text as transaction_id, stream_id, stream_version, type, schema_version, data, metadata, dedupe_key, recorded_at";
/** The columns with the received bytes (auditors); the hot reads leave them out. */
export const eventColumns = (withRaw = false) => (withRaw ? `${EVENT_COLUMNS}, raw` : EVENT_COLUMNS);

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
    ...(row.raw === undefined ? {} : { raw: row.raw }),
  };
}

interface PlainEvent {
  streamId: string | null;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: NewEvent["metadata"];
  dedupeKey: string | null;
}

const plainEvent = (e: NewEvent & { streamId?: string }): PlainEvent => ({
  streamId: e.streamId ?? null,
  type: e.type,
  schemaVersion: e.schemaVersion ?? 1,
  data: e.data ?? {},
  metadata: e.metadata,
  dedupeKey: e.dedupeKey ?? null,
});

/**
 * Encodes events as one JSON array parameter: the statement unpacks it with
 * `jsonb_array_elements`, so any number of events is one statement, and data
 * and metadata stay JSON objects (never JSON strings) in the log.
 *
 * Text Postgres cannot store (NUL, unpaired surrogates: see `storable.ts`)
 * would make it refuse the whole statement. The common case costs one scan
 * of the JSON text; an event that needs care is stored with the characters
 * replaced, `metadata.sanitized` saying so, and `raw` (base64, for the `raw`
 * column) holding what came: the bytes received, or the event as JSON text.
 */
export function encodeEvents(events: readonly (NewEvent & { streamId?: string })[]): string {
  const json = JSON.stringify(events.map(plainEvent));
  if (!jsonNeedsCare(json) && !events.some((e) => e.received?.lossy || e.received?.always)) return json;
  return `[${events.map(encodeCarefully).join(",")}]`;
}

function encodeCarefully(event: NewEvent & { streamId?: string }): string {
  const text = JSON.stringify(plainEvent(event));
  const { received } = event;
  const stored = jsonNeedsCare(text) || received?.lossy ? storableEvent(text, event) : null;
  if (!stored && !received?.always) return text;
  const raw = received?.bytes ?? new TextEncoder().encode(text);
  const base64 = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
  return JSON.stringify({ ...(stored ?? (JSON.parse(text) as PlainEvent)), raw: base64 });
}

/** The event with what Postgres cannot store replaced and noted; null when nothing had to change. */
function storableEvent(text: string, event: NewEvent): PlainEvent | null {
  const lossy = event.received?.lossy === true;
  const note: ReplacementNote = { replaced: 0, paths: [] };
  const came = JSON.parse(text) as PlainEvent;
  const metadata = replaceUnstorable(came.metadata, "/metadata", note) as NewEvent["metadata"];
  const stored: PlainEvent = {
    streamId: came.streamId === null ? null : noteStorableId(came.streamId, "/streamId", note),
    type: noteStorableId(came.type, "/type", note),
    schemaVersion: came.schemaVersion,
    data: replaceUnstorable(came.data, "/data", note),
    metadata,
    dedupeKey: came.dedupeKey === null ? null : noteStorableId(came.dedupeKey, "/dedupeKey", note),
  };
  if (note.replaced === 0 && !lossy) return null;
  metadata.sanitized = {
    replaced: note.replaced,
    paths: note.paths,
    ...(lossy ? { invalidUtf8: true as const } : {}),
    raw: event.received ? "received" : "event",
  } satisfies SanitizedNote;
  return stored;
}

export const EVENTS_CHANNEL = "commsync_events";
