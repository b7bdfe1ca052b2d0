/**
 * @module unipile/ingest/rest-facts
 * The facts Unipile's REST answers become, with their dedupe keys. Webhooks,
 * the background sync, the backfill and one-off fetches all build their facts
 * here, so one message or one chat state seen by several paths is stored once.
 * Pure.
 */
import { createHash } from "node:crypto";
import type { EventMetadata, NewStreamEvent } from "../../event-store/event";
import { unreadableItemFact } from "../../event-store/unprocessable";
import type { Misshapen } from "..";
import type { UnipileChatObserved, UnipileMessageObserved } from "../../conversations";
import { chatDetailsKey, chatStream, messageArrivalKey } from "./keys";

type RawChat = { id: string; account_id: string } & Record<string, unknown>;
type RawMessage = { id: string; account_id: string; chat_id: string } & Record<string, unknown>;

/** A REST message as a fact on its chat's stream. */
export function messageObservedFact(
  message: RawMessage,
  via: UnipileMessageObserved["data"]["via"],
  at: Date,
  metadata: EventMetadata,
): NewStreamEvent<"UnipileMessageObserved", UnipileMessageObserved["data"]> {
  return {
    streamId: chatStream(message.chat_id),
    type: "UnipileMessageObserved",
    data: { unipileAccountId: message.account_id, unipileChatId: message.chat_id, via, message, at: at.toISOString() },
    metadata,
    dedupeKey: messageArrivalKey(message.id),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is string => typeof value === "string" && value !== "";

/**
 * A listed message of an unexpected shape (`Misshapen`) is still what
 * Unipile said. With the ids a fact needs, it is an `UnipileMessageObserved`
 * like any other (the projection shows what it can read of it; a replay with
 * a better reader, more); without them, an `UnprocessableFact` holding it.
 */
export function misshapenMessageFact(m: Misshapen, via: UnipileMessageObserved["data"]["via"], at: Date, metadata: EventMetadata): NewStreamEvent {
  const { item } = m;
  if (isRecord(item) && isId(item.id) && isId(item.chat_id) && isId(item.account_id)) {
    return messageObservedFact(item as RawMessage, via, at, metadata);
  }
  return unreadableItemFact("UnipileMessageObserved", item, m.issues, metadata);
}

/** A listed chat of an unexpected shape: `misshapenMessageFact` for chats (no attendees asked for). */
export function misshapenChatFact(m: Misshapen, at: Date, metadata: EventMetadata): NewStreamEvent {
  const { item } = m;
  if (isRecord(item) && isId(item.id) && isId(item.account_id)) return chatObservedFact(item as RawChat, null, at, metadata);
  return unreadableItemFact("UnipileChatObserved", item, m.issues, metadata);
}

/**
 * A chat's details as a fact. The key hashes what describes the chat (name,
 * type, ids, attendees) and leaves out what moves with every message
 * (timestamp, unread count, last message), so seeing an unchanged chat again
 * adds nothing and a renamed group adds one fact.
 */
export function chatObservedFact(
  chat: RawChat,
  attendees: unknown[] | null,
  at: Date,
  metadata: EventMetadata,
): NewStreamEvent<"UnipileChatObserved", UnipileChatObserved["data"]> {
  const { lastMessage: _last, timestamp: _ts, unread_count: _unread, ...stable } = chat;
  const digest = createHash("sha256")
    .update(JSON.stringify([sortKeys(stable), attendees ? attendees.map(sortKeys) : null]))
    .digest("hex")
    .slice(0, 32);
  return {
    streamId: chatStream(chat.id),
    type: "UnipileChatObserved",
    data: { unipileAccountId: chat.account_id, unipileChatId: chat.id, chat: { ...stable, timestamp: chat.timestamp ?? null }, attendees, at: at.toISOString() },
    metadata,
    dedupeKey: chatDetailsKey(chat.id, digest),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
