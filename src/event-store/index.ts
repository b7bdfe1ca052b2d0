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
 * - `readStream`, `readAll` (gap-safe, in `(transaction_id, global_position)` order);
 *   one fact by type, dedupe key or time (log-reads.ts).
 * - `handle`: the command loop, read → fold → decide → append, again on a conflict (command-handler.ts);
 *   `commandMetadata` / `systemMetadata`: every event's metadata (metadata.ts).
 * Each append NOTIFYs `commsync_events` as a wake-up for readers.
 */
import type { Sql } from "../db/client";
import { appendFacts } from "./append-facts";
import { appendToStream } from "./append-to-stream";
import { type Command, type DecidedEvent, handleCommand, loadStream, type StreamModel } from "./command-handler";
import { createGroupCommit } from "./group-commit";
import type { ExpectedVersion, NewEvent, NewStreamEvent } from "./event";
import { hasDedupeKey, positionBefore, readLastInStream, readLastInStreams } from "./log-reads";
import { readAll, type ReadAllOptions } from "./read-all";
import { readStream, type ReadStreamOptions, readStreamVersion } from "./read-stream";
import { appendFactsIsolating } from "./unprocessable";

export * from "./event";
export { EVENTS_CHANNEL } from "./rows";
export type { EventFilter, EventMatch } from "./event-filter";
export type { ReadAllOptions, ReadAllResult } from "./read-all";
export type { ReadStreamOptions } from "./read-stream";
export { appendFacts, appendFactsIsolating, appendToStream, readAll, readStream, readStreamVersion };
export { hasDedupeKey, positionBefore, readLastInStream, readLastInStreams };
export {
  type Command,
  type DecidedEvent,
  DEFAULT_MAX_ATTEMPTS,
  type Handled,
  handleCommand,
  loadStream,
  StreamContentionError,
  type StreamModel,
} from "./command-handler";
export { type CommandActor, commandMetadata, type ReceivedAt, systemMetadata } from "./metadata";
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
    readLastInStream: (streamId: string, types?: readonly string[]) => readLastInStream(sql, streamId, types),
    readLastInStreams: (streamIds: readonly string[], types?: readonly string[]) => readLastInStreams(sql, streamIds, types),
    hasDedupeKey: (dedupeKey: string) => hasDedupeKey(sql, dedupeKey),
    positionBefore: (time: Date) => positionBefore(sql, time),
    /** The command loop (command-handler.ts): read → fold → decide → append, again after a conflict. */
    handle: <State, Event extends DecidedEvent, Answer>(command: Command<State, Event, Answer>, options?: { maxAttempts?: number }) =>
      handleCommand(sql, command, options),
    loadStream: <State, Event extends DecidedEvent>(streamId: string, model: StreamModel<State, Event>) => loadStream(sql, streamId, model),
  };
}
