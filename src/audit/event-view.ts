/**
 * @module audit/event-view
 * An event as auditors see it: everything the log row holds, nothing left out
 * (data with Unipile's raw payload, metadata with source, actor, request id
 * and receipt time), in one JSON shape shared by the page routes and the
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
  };
}

/** Events as NDJSON text: one JSON object per line, each line ending in `\n`. */
export function toNdjson(events: readonly RecordedEvent[]): string {
  let text = "";
  for (const event of events) text += `${JSON.stringify(toAuditEvent(event))}\n`;
  return text;
}
