/**
 * @module event-store/event
 * The durable shapes of the log. Pure: no driver, no framework.
 */

/** Where a fact came from. */
export type EventSource = "webhook" | "poll" | "command" | "system";

/**
 * What every event says about itself besides its data (EVENT-SOURCING.md
 * rule 4). Secrets and tokens never go here.
 */
export interface EventMetadata {
  source: EventSource;
  /** The user (JWT `sub`) behind a command, or `unipile` / `system`. */
  actor?: string;
  requestId?: string;
  correlationId?: string;
  causationId?: string;
  /** When the service received the fact (ISO-8601). */
  receivedAt?: string;
  /** Set by the log when text Postgres cannot store was replaced (see `encodeEvents`). */
  sanitized?: SanitizedNote;
  [key: string]: unknown;
}

/**
 * What the log replaced to store an event: characters (U+FFFD in data and
 * metadata, `\u0000`-style escapes in the stream id and dedupe key), where,
 * and what the `raw` column holds instead: the bytes received, or the event
 * as it came (`{streamId, type, data, metadata, dedupeKey}`) as JSON text.
 */
export interface SanitizedNote {
  replaced: number;
  /** JSON pointers into the event (`/data/raw/message`, `/streamId`), the first 20. */
  paths: string[];
  /** The bytes received were not valid UTF-8. */
  invalidUtf8?: true;
  raw: "received" | "event";
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** Version of the data's shape; readers upcast older ones. @default 1 */
  schemaVersion?: number;
  /** Makes the append idempotent: a second event with the same key is not stored. */
  dedupeKey?: string;
  /**
   * The bytes the fact was made from (a webhook's body), kept in the `raw`
   * column only when the event's JSON had to differ from them: text Postgres
   * cannot store was replaced, or `lossy` (the bytes were not valid UTF-8 and
   * were decoded with U+FFFD), or `always`. Otherwise nothing is kept: the
   * event's JSON is what came.
   */
  received?: { bytes: Uint8Array; lossy: boolean; always?: boolean };
}

/** An event bound for a given stream (many-stream appends). */
export interface NewStreamEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  streamId: string;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  globalPosition: number;
  /** The writing transaction's xid8, as a decimal string. */
  transactionId: string;
  streamId: string;
  streamVersion: number;
  type: Type;
  schemaVersion: number;
  data: Data;
  metadata: EventMetadata;
  dedupeKey: string | null;
  recordedAt: Date;
  /**
   * What was received, byte for byte, when the event's JSON had to differ
   * from it (see `metadata.sanitized`); null otherwise. Read only when asked
   * (`withRaw`), absent from other reads.
   */
  raw?: Uint8Array | null;
}

/**
 * A reader's place in the log. Always the pair: a position alone skips events
 * whose transaction commits late (EVENT-SOURCING.md rule 1).
 */
export interface LogPosition {
  transactionId: string;
  globalPosition: number;
}

export const LOG_START: LogPosition = Object.freeze({ transactionId: "0", globalPosition: 0 });

/** Compares two log positions in reading order: -1, 0 or 1. */
export function compareLogPositions(a: LogPosition, b: LogPosition): -1 | 0 | 1 {
  const ax = BigInt(a.transactionId);
  const bx = BigInt(b.transactionId);
  if (ax !== bx) return ax < bx ? -1 : 1;
  if (a.globalPosition !== b.globalPosition) return a.globalPosition < b.globalPosition ? -1 : 1;
  return 0;
}

/**
 * Expected version for an append: an exact version (0 means the stream must not
 * exist yet), `"any"` (no check) or `"stream_exists"`.
 */
export type ExpectedVersion = number | "any" | "stream_exists";

export type AppendError =
  | { code: "STREAM_VERSION_CONFLICT"; streamId: string; expected: ExpectedVersion; actual: number }
  | { code: "DUPLICATE_EVENT"; dedupeKey: string; globalPosition: number };

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append. */
  nextVersion: number;
  globalPositions: number[];
  transactionId: string;
}

/** Outcome of one event in an idempotent append. */
export interface FactAppendResult {
  globalPosition: number;
  /** The transaction that stored the event (the original one for a duplicate). */
  transactionId: string;
  streamVersion: number;
  /** True when an event with the same dedupe key was already in the log. */
  duplicate: boolean;
  /**
   * True when the log refused the fact itself and recorded an
   * `UnprocessableFact` in its place (the position is that event's).
   */
  unprocessable?: boolean;
}
