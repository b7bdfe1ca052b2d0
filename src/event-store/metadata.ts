/**
 * @module event-store/metadata
 * The one place an event's metadata is made (EVENT-SOURCING.md rule 4): who
 * asked (a user's command, or the service itself, a poll, Unipile's webhook),
 * under which request, and when it was received.
 */
import type { Clock } from "../lib/clock";
import type { EventMetadata, EventSource } from "./event";

/** The user behind a command and the request that carried it. */
export interface CommandActor {
  userId: string;
  requestId?: string;
}

/** When: the clock's now, or a time the caller already took (so data and metadata agree). */
export type ReceivedAt = Clock | Date;

const isoOf = (at: ReceivedAt) => (at instanceof Date ? at : at.now()).toISOString();

/** A user's command: `{source: "command", actor, requestId, receivedAt}`. */
export function commandMetadata(actor: CommandActor, at: ReceivedAt): EventMetadata {
  return { source: "command", actor: actor.userId, ...(actor.requestId === undefined ? {} : { requestId: actor.requestId }), receivedAt: isoOf(at) };
}

/**
 * What the service records by itself (`system`), found by a poll (`poll`),
 * or was told by Unipile (`webhook`, with `actor: "unipile"` and the request
 * id in `extra`): actor `system` unless `extra` says otherwise.
 */
export function systemMetadata(source: Exclude<EventSource, "command">, at: ReceivedAt, extra: Partial<EventMetadata> = {}): EventMetadata {
  return { source, actor: "system", receivedAt: isoOf(at), ...extra };
}
