/**
 * @module conversations/events
 * The durable contract of conversations and messages.
 *
 * - A chat's stream `unipile-chat:<chat id>` holds what Unipile said about
 *   it (`UnipileWebhookReceived` messaging facts, keyed by Unipile's ids;
 *   `UnipileChatObserved` details) and the reads our users made.
 * - A send's stream `message-send:<send id>` (sends/events.ts) holds one
 *   send from CommSync; its events show here as messages.
 *
 * No attachment bytes, token or secret is ever stored. Pure.
 */

import type { MessageSendFailed, MessageSendRequested, MessageSent } from "../sends";

export { chatStream } from "../unipile/ingest/keys";
/** The send events are sends' (sends/events.ts); the read model shows their messages. */
export type { MessageSendFailed, MessageSendRequested, MessageSent };

/** An attachment as the projection and API describe it (the bytes stay at Unipile). */
export interface AttachmentMeta {
  id: string | null;
  type: string | null;
  fileName: string | null;
  mimetype: string | null;
  size: number | null;
  unavailable: boolean;
}

export interface UnipileChatObserved {
  type: "UnipileChatObserved";
  data: {
    unipileAccountId: string;
    unipileChatId: string;
    /** `GET /chats/{id}` as Unipile answered it (without `lastMessage`). */
    chat: unknown;
    /** `GET /chats/{id}/attendees` items, when fetched. */
    attendees: unknown[] | null;
    at: string;
  };
}

/**
 * A message as Unipile's REST API showed it (`GET /messages/{id}`, a chat's
 * message page), from a poll, a backfill or a fetch after a webhook named a
 * message the log did not know. Its dedupe key is the one of
 * `message_received` (`unipile-message:<id>`), so a message seen both ways is
 * one fact.
 */
export interface UnipileMessageObserved {
  type: "UnipileMessageObserved";
  data: {
    unipileAccountId: string;
    unipileChatId: string;
    /** `poll` (background sync), `backfill` (history after connecting) or `fetch` (one message looked up). */
    via: "poll" | "backfill" | "fetch";
    /** The REST Message object as Unipile answered it. */
    message: unknown;
    at: string;
  };
}

export interface ConversationMarkedRead {
  type: "ConversationMarkedRead";
  data: {
    conversationId: string;
    unipileAccountId: string;
    unipileChatId: string;
    userId: string;
    /** Whether Unipile accepted the read status too. */
    syncedToUnipile: boolean;
    at: string;
  };
}

export type MessagingCommandEvent = MessageSendRequested | MessageSent | MessageSendFailed | ConversationMarkedRead;
export type MessagingEvent = MessagingCommandEvent | UnipileChatObserved | UnipileMessageObserved;

export const MESSAGING_OWN_EVENT_TYPES = [
  "MessageSendRequested",
  "MessageSent",
  "MessageSendFailed",
  "UnipileChatObserved",
  "UnipileMessageObserved",
  "ConversationMarkedRead",
] as const satisfies readonly MessagingEvent["type"][];

/** Every event the conversations and messages projection reads. */
export const MESSAGING_PROJECTION_EVENT_TYPES = [
  ...MESSAGING_OWN_EVENT_TYPES,
  "UnipileWebhookReceived",
  "AccountConnectionRequested",
] as const;
