/**
 * @module event-store
 * The event log: every webhook, poll result and command is an event here, and
 * every table the API serves is built from it.
 *
 * - `appendToStream`: commands, with an expected version (conflict = result).
 * - `appendFacts`: external facts, idempotent by dedupe key, many streams, one statement;
 *   `appendFactsGrouped` shares the statement with concurrent callers (group commit).
 *   Through the store, a fact the log refuses fails alone (`UnprocessableFact`).
 * - Text Postgres cannot store is replaced on the way in, and noted (storable.ts, rows.ts).
 * - `readStream`, `readAll` (gap-safe, in `(transaction_id, global_position)` order).
 * Each append NOTIFYs `commsync_events` as a wake-up for readers.
 */
import type { Sql } from "../db/client";
import { appendFacts } from "./append-facts";
import { appendToStream } from "./append-to-stream";
import { createGroupCommit } from "./group-commit";
import type { ExpectedVersion, NewEvent, NewStreamEvent } from "./event";
import { readAll, type ReadAllOptions } from "./read-all";
import { readStream, type ReadStreamOptions, readStreamVersion } from "./read-stream";
import { appendFactsIsolating } from "./unprocessable";

export * from "./event";
export { EVENTS_CHANNEL } from "./rows";
export type { EventFilter, EventMatch } from "./event-filter";
export type { ReadAllOptions, ReadAllResult } from "./read-all";
export type { ReadStreamOptions } from "./read-stream";
export { appendFacts, appendFactsIsolating, appendToStream, readAll, readStream, readStreamVersion };
export { isStorable, storableId } from "./storable";
export { isDataError, UNPROCESSABLE_STREAM, UNPROCESSABLE_TYPE, type UnprocessableFactData } from "./unprocessable";

export type EventStore = ReturnType<typeof createEventStore>;

/** Binds the log operations to a pool. */
export function createEventStore(sql: Sql) {
  const group = createGroupCommit(sql);
  return {
    appendToStream: (streamId: string, events: readonly NewEvent[], options: { expectedVersion: ExpectedVersion }) =>
      appendToStream(sql, streamId, events, options),
    /** `appendFacts` where a fact the log refuses fails alone, recorded as an `UnprocessableFact` (unprocessable.ts). */
    appendFacts: (facts: readonly NewStreamEvent[]) => appendFactsIsolating(sql, facts),
    /** `appendFacts` with group commit: concurrent callers share one statement and one commit (webhooks). */
    appendFactsGrouped: (facts: readonly NewStreamEvent[]) => group.append(facts),
    readStream: (streamId: string, options?: ReadStreamOptions) => readStream(sql, streamId, options),
    readStreamVersion: (streamId: string) => readStreamVersion(sql, streamId),
    readAll: (options?: ReadAllOptions) => readAll(sql, options),
  };
}
