/**
 * @module unipile/ingest/keys
 * Every stream name and dedupe key of what Unipile tells us, in one place.
 * Exactly once rests on these: a fact seen by several paths (a webhook,
 * Unipile's retries of it, the poll, a one-off lookup, the history import)
 * gets one key, and the log stores it once. Pure.
 */
import type { MessagingWebhook } from "../payloads";

/** An account's life: `account:<Unipile account id>`, so a webhook needs no lookup to find it. */
export const accountStream = (unipileAccountId: string) => `account:${unipileAccountId}`;
/** What Unipile said about a chat and its messages, and the reads our users made. */
export const chatStream = (unipileChatId: string) => `unipile-chat:${unipileChatId}`;
/** Webhook bodies of no known shape, kept for the auditors. */
export const UNKNOWN_WEBHOOKS_STREAM = "unipile-webhooks:unclassified";

/** A message's arrival: the `message_received` webhook and the REST message share it. */
export const messageArrivalKey = (unipileMessageId: string) => `unipile-message:${unipileMessageId}`;

/**
 * A messaging webhook's key: the arrival key for a new message (webhook and
 * poll agree on it); the other events recur for one message, so their key
 * adds the event, its time and, for reactions, the reaction and who reacted.
 */
export function messagingDedupeKey(body: MessagingWebhook): string {
  if (body.event === "message_received") return messageArrivalKey(body.message_id);
  const parts = [messageArrivalKey(body.message_id), body.event, body.timestamp ?? ""];
  if (body.event === "message_reaction") parts.push(body.reaction ?? "", body.reaction_sender?.attendee_id ?? body.reaction_sender?.attendee_provider_id ?? "");
  return parts.join(":");
}

/**
 * A chat's details: `digest` hashes what describes the chat (name, type, ids,
 * attendees), so an unchanged chat seen again adds nothing and a renamed
 * group adds one fact.
 */
export const chatDetailsKey = (unipileChatId: string, digest: string) => `unipile-chat:${unipileChatId}:details:${digest}`;
