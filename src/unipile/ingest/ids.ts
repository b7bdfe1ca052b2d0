/**
 * @module unipile/ingest/ids
 * Our ids for Unipile's chats and messages: UUID v5 of the Unipile id, so the
 * same chat or message always has the same id, whichever path (webhook, poll,
 * our own send) brought it and however often the log is replayed.
 */
import { createHash } from "node:crypto";

const NAMESPACE = Buffer.from("5f0c7a2e9b8d4c1fa3e6d2b1c0f9e8d7", "hex");

export function uuidV5(name: string): string {
  const hash = createHash("sha1").update(NAMESPACE).update(name, "utf8").digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const conversationIdFor = (unipileChatId: string) => uuidV5(`unipile-chat:${unipileChatId}`);
export const messageIdFor = (unipileMessageId: string) => uuidV5(`unipile-message:${unipileMessageId}`);

/** What pure code needs to name rows. */
export interface MessagingIds {
  conversation(unipileChatId: string): string;
  message(unipileMessageId: string): string;
}

export const messagingIds: MessagingIds = { conversation: conversationIdFor, message: messageIdFor };
