/**
 * @module event-store/command-handler
 * The command loop every use case shares: read a stream, fold it, decide,
 * append what was decided at the version read. A version conflict means a
 * concurrent command wrote to the stream meanwhile: the loop reads, folds and
 * decides again. After `maxAttempts` conflicts in a row it gives up with a
 * `StreamContentionError`, which HTTP answers 409 STREAM_VERSION_CONFLICT
 * with Retry-After (http/errors.ts): the caller may simply try again.
 *
 * It answers what it appended and the state after it (folded from what was
 * read plus what was appended: no second read), and the log position to wait
 * for (read-your-writes).
 */
import type { Queryable, Sql } from "../db/client";
import { ok, type Result } from "../lib/result";
import { appendToStream } from "./append-to-stream";
import type { EventMetadata, LogPosition, RecordedEvent } from "./event";
import { readStream, readStreamVersion } from "./read-stream";

/** An event as a decider returns it: the handler adds the metadata. */
export interface DecidedEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  dedupeKey?: string;
}

/** How a stream folds into the state its decider reads. */
export interface StreamModel<State, Event extends DecidedEvent> {
  initial: State;
  /** Folds one event (a recorded one, or one just appended). */
  evolve(state: State, event: Event): State;
}

export interface Command<State, Event extends DecidedEvent, Answer> extends StreamModel<State, Event> {
  streamId: string;
  /** The events to append (none: nothing to do), or an answer without appending. Pure deciders answer at once. */
  decide(state: State): Result<readonly Event[], Answer> | Promise<Result<readonly Event[], Answer>>;
  metadata: EventMetadata;
  /** The stream as the caller knows it (it appended last): the first try starts from it instead of reading. */
  known?: { state: State; version: number };
}

export interface Handled<State, Event> {
  /** What was appended: none when the decider had nothing to add. */
  events: Event[];
  /** The stream's state after the append. */
  state: State;
  /** The stream's version after the append. */
  version: number;
  /** Where the last appended event is in the log (read-your-writes); null when nothing was appended. */
  position: LogPosition | null;
}

/** The stream kept changing under the command: `attempts` conflicts in a row. */
export class StreamContentionError extends Error {
  readonly code = "STREAM_VERSION_CONFLICT";
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`stream ${streamId} changed under the command ${attempts} times in a row`);
    this.name = "StreamContentionError";
  }
}

/** Conflicts in a row before giving up. */
export const DEFAULT_MAX_ATTEMPTS = 4;

/** The stream's events up to the version read with them (one snapshot, however many commands run). */
export async function loadStream<State, Event extends DecidedEvent>(
  sql: Queryable,
  streamId: string,
  model: StreamModel<State, Event>,
): Promise<{ state: State; version: number }> {
  const version = await readStreamVersion(sql, streamId);
  const events = version === 0 ? [] : await readStream(sql, streamId, { maxCount: version });
  const state = events.reduce((s, e) => model.evolve(s, e as RecordedEvent as unknown as Event), model.initial);
  return { state, version: events.at(-1)?.streamVersion ?? 0 };
}

/** Read → fold → decide → append at the version read; again after a concurrent write. */
export async function handleCommand<State, Event extends DecidedEvent, Answer>(
  sql: Sql,
  command: Command<State, Event, Answer>,
  options: { maxAttempts?: number } = {},
): Promise<Result<Handled<State, Event>, Answer>> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let current = command.known;
  for (let attempt = 1; ; attempt++) {
    const { state, version } = current ?? (await loadStream(sql, command.streamId, command));
    current = undefined;
    const decided = await command.decide(state);
    if (!decided.ok) return decided;
    const events = [...decided.value];
    if (events.length === 0) return ok({ events, state, version, position: null });
    const appended = await appendToStream(
      sql,
      command.streamId,
      events.map((e) => ({ type: e.type, data: e.data, metadata: command.metadata, ...(e.dedupeKey ? { dedupeKey: e.dedupeKey } : {}) })),
      { expectedVersion: version },
    );
    if (appended.ok) {
      const { transactionId, globalPositions, nextVersion } = appended.value;
      const after = events.reduce((s, e) => command.evolve(s, e), state);
      return ok({ events, state: after, version: nextVersion, position: { transactionId, globalPosition: globalPositions.at(-1) ?? 0 } });
    }
    // A conflict, or a dedupe key a concurrent command stored first: either way the stream moved on.
    if (attempt >= maxAttempts) throw new StreamContentionError(command.streamId, attempt);
  }
}
