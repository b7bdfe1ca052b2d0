/**
 * @module audit/event-view
 * An event as auditors see it: everything the log row holds, nothing left out
 * (data with Unipile's raw payload, metadata with source, actor, request id
 * and receipt time, the received bytes when they had to be kept), in one JSON shape shared by the page routes and the
 * NDJSON export. Pure.
 */
import type { RecordedEvent } from "../event-store/event";

export interface AuditEvent {
  globalPosition: number;
  transactionId: string;
  streamId: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: RecordedEvent["metadata"];
  dedupeKey: string | null;
  recordedAt: string;
  /**
   * What was received, byte for byte, base64: only for an event whose JSON had
   * to differ from it (`metadata.sanitized` says what changed and what `raw`
   * holds) and for an `UnprocessableFact`; null otherwise.
   */
  raw: string | null;
}

export function toAuditEvent(event: RecordedEvent): AuditEvent {
  return {
    globalPosition: event.globalPosition,
    transactionId: event.transactionId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    dedupeKey: event.dedupeKey,
    recordedAt: event.recordedAt.toISOString(),
    raw: event.raw ? base64(event.raw) : null,
  };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Events as NDJSON text: one JSON object per line, each line ending in `\n`. */
export function toNdjson(events: readonly RecordedEvent[]): string {
  let text = "";
  for (const event of events) text += `${JSON.stringify(toAuditEvent(event))}\n`;
  return text;
}
