/**
 * @module conversations/events
 * The durable contract of conversations and messages.
 *
 * - A chat's stream `unipile-chat:<chat id>` holds what Unipile said about
 *   it (`UnipileWebhookReceived` messaging facts, keyed by Unipile's ids;
 *   `UnipileChatObserved` details) and the reads our users made.
 * - A send's stream `message-send:<send id>` holds one send from CommSync:
 *   the request (keyed by the caller's Idempotency-Key), then exactly one
 *   outcome, `MessageSent` or `MessageSendFailed`.
 *
 * No attachment bytes, token or secret is ever stored. Pure.
 */

export { chatStream } from "../unipile/ingest/keys";
export const sendStream = (sendId: string) => `message-send:${sendId}`;

/** An attachment as the projection and API describe it (the bytes stay at Unipile). */
export interface AttachmentMeta {
  id: string | null;
  type: string | null;
  fileName: string | null;
  mimetype: string | null;
  size: number | null;
  unavailable: boolean;
}

export interface MessageSendRequested {
  type: "MessageSendRequested";
  data: {
    sendId: string;
    /** 1, then 2, … when the same Idempotency-Key tries again after Unipile refused without processing. */
    attempt: number;
    userId: string;
    accountId: string;
    unipileAccountId: string;
    /** Set when answering in a known chat; null when starting one with `recipients`. */
    unipileChatId: string | null;
    /** Phone digits of the recipients of a new chat. */
    recipients: string[];
    text: string;
    attachments: AttachmentMeta[];
    /** Unipile id of the message answered. */
    quoteUnipileMessageId: string | null;
    /** SHA-256 of the request (text, target, quote, attachment bytes): a reused key with another request is refused. */
    fingerprint: string;
    idempotencyKey: string | null;
    at: string;
  };
}

export interface MessageSent {
  type: "MessageSent";
  data: {
    sendId: string;
    unipileAccountId: string;
    /** Null only when Unipile started a chat without saying its id (its schema allows it). */
    unipileChatId: string | null;
    /** Null when Unipile did not say (its schema allows it). */
    unipileMessageId: string | null;
    /** Whether Unipile started a new chat for it (`POST /chats`). */
    newChat: boolean;
    at: string;
  };
}

export interface MessageSendFailed {
  type: "MessageSendFailed";
  data: {
    sendId: string;
    unipileAccountId: string;
    unipileChatId: string | null;
    /** Our reason: `upstream` (Unipile refused, failed or did not answer in time). */
    reason: string;
    /** Unipile did not process it (429, 503): the same Idempotency-Key may try again. */
    retryable: boolean;
    /** Unipile's own words when it answered. */
    unipile: { status: number | null; type: string | null; title: string | null; detail: string | null; kind: string; retryAfterMs?: number };
    at: string;
  };
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
