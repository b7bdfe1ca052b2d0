/**
 * @module sends/events
 * The durable contract of a send from CommSync. A send's stream
 * `message-send:<send id>` holds its attempts: each a `MessageSendRequested`
 * (keyed by the caller's Idempotency-Key and the attempt), then exactly one
 * outcome, `MessageSent` or `MessageSendFailed`. A new attempt follows only an
 * outcome Unipile did not process (429, 503). The conversations read model
 * shows these events as messages. No attachment bytes, token or secret is
 * ever stored. Pure.
 */
import type { AttachmentMeta } from "../conversations";

export const sendStream = (sendId: string) => `message-send:${sendId}`;

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

export type SendEvent = MessageSendRequested | MessageSent | MessageSendFailed;
export type SendOutcomeEvent = MessageSent | MessageSendFailed;
