/**
 * @module sends/request
 * A send request as the log records it: its id, its fingerprint, the chat it
 * goes to (for pacing), and the `MessageSendRequested` data the decider numbers.
 */
import { createHash } from "node:crypto";
import type { ConversationRow } from "../conversations";
import type { IdGenerator } from "../lib/ids";
import { uuidV5 } from "../unipile/ingest";
import type { SendRequest } from "./decider";

export interface OutgoingFile {
  fileName: string;
  mimetype: string;
  bytes: Uint8Array;
}

export interface SendInput {
  /** Our account id. */
  accountId: string;
  text: string;
  /** Phone digits with country code (a new chat, or the existing 1:1 chat with that phone). */
  recipients: string[];
  /** Our conversation id, to answer in it. */
  conversationId?: string;
  /** Our message id (or Unipile's) of the message answered. */
  quoteId?: string;
  /** Group name, when starting a chat with several recipients. */
  subject?: string;
  files: OutgoingFile[];
  idempotencyKey?: string;
}

/** With an Idempotency-Key the send id follows from the caller and the key: every copy finds one stream. */
export function sendIdFor(userId: string, idempotencyKey: string | undefined, ids: IdGenerator): string {
  return idempotencyKey ? uuidV5(`message-send:${userId}:${idempotencyKey}`) : ids.uuid();
}

/** What the log records of a request (no attachment bytes: their names, types and sizes). */
export function requestOf(
  input: SendInput,
  to: { sendId: string; userId: string; unipileAccountId: string; conversation: ConversationRow | null; quoteUnipileMessageId: string | null },
  at: Date,
): SendRequest {
  const { conversation } = to;
  return {
    sendId: to.sendId,
    userId: to.userId,
    accountId: input.accountId,
    unipileAccountId: to.unipileAccountId,
    unipileChatId: conversation?.unipileChatId ?? null,
    recipients: conversation ? [] : input.recipients,
    text: input.text,
    attachments: input.files.map((f) => ({ id: null, type: null, fileName: f.fileName, mimetype: f.mimetype, size: f.bytes.byteLength, unavailable: false })),
    quoteUnipileMessageId: to.quoteUnipileMessageId,
    fingerprint: fingerprintOf(input),
    idempotencyKey: input.idempotencyKey ?? null,
    at: at.toISOString(),
  };
}

/** What makes two requests the same send: a reused Idempotency-Key with another request is refused. */
export function fingerprintOf(input: SendInput): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([input.accountId, input.conversationId ?? null, input.recipients, input.text, input.quoteId ?? null, input.subject ?? null]));
  for (const file of input.files) hash.update(file.fileName).update(file.mimetype).update(file.bytes);
  return hash.digest("hex");
}

/** The chat a send goes to, for the gap between two messages to one chat. */
export function chatKeyOf(input: SendInput, conversation: ConversationRow | null): string {
  return conversation ? `conversation:${conversation.id}` : `new:${input.accountId}:${[...input.recipients].sort().join(",")}`;
}
