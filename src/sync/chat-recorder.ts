/**
 * @module sync/chat-recorder
 * Turns the chats a sync run meets into `UnipileChatObserved` facts, asking
 * Unipile only for what the log does not have: a listed chat whose
 * description (with the attendees last recorded) gives the key already in
 * the log changed in nothing that matters and is skipped; any other gets its
 * attendees fetched. A chat that only shows up through its messages is
 * fetched whole (`GET /chats/{id}`). What the log holds is remembered per
 * instance (bounded), so a steady poll asks the database nothing.
 */
import type { Queryable } from "../db/client";
import type { EventMetadata, NewStreamEvent } from "../event-store/event";
import { err, ok, type Result } from "../lib/result";
import { chatObservedFact } from "../unipile/ingest";
import type { UnipileFailure, UnipileGateway } from "../unipile";
import type { RestChat } from "../unipile";
import { type KnownChat, readKnownChats } from "./read-sync-state";

export interface ChatCache {
  get(chatId: string): KnownChat | undefined;
  set(chatId: string, known: KnownChat): void;
}

/** A map that forgets its oldest entries past `max`. */
export function createChatCache(max = 50_000): ChatCache {
  const entries = new Map<string, KnownChat>();
  return {
    get: (chatId) => entries.get(chatId),
    set(chatId, known) {
      entries.delete(chatId);
      entries.set(chatId, known);
      if (entries.size > max) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
  };
}

export type ChatFailure = { operation: string; failure: UnipileFailure };

/** A chat deleted since it was listed (or named by a message) has nothing left to describe. */
const gone = (failure: UnipileFailure) => failure.kind === "http" && failure.status === 404;

export interface ChatRecorder {
  /** Facts for the listed chats that are new or changed. */
  listed(chats: readonly RestChat[], at: Date, metadata: EventMetadata): Promise<Result<NewStreamEvent[], ChatFailure>>;
  /** Facts for chats named by messages that the log has never described. */
  named(chatIds: readonly string[], at: Date, metadata: EventMetadata): Promise<Result<NewStreamEvent[], ChatFailure>>;
  /** After the facts are in the log (stored or duplicate): remember them. */
  remember(facts: readonly NewStreamEvent[]): void;
}

export function createChatRecorder(deps: { sql: Queryable; gateway: UnipileGateway; cache: ChatCache }): ChatRecorder {
  const { gateway, cache } = deps;

  async function known(chatIds: readonly string[]): Promise<Map<string, KnownChat>> {
    const found = new Map<string, KnownChat>();
    const missing: string[] = [];
    for (const id of new Set(chatIds)) {
      const hit = cache.get(id);
      if (hit) found.set(id, hit);
      else missing.push(id);
    }
    for (const [id, chat] of await readKnownChats(deps.sql, missing)) {
      cache.set(id, chat);
      found.set(id, chat);
    }
    return found;
  }

  /** The chat's fact with its attendees; null when the chat is gone (deleted since it was listed). */
  async function describe(chat: RestChat, at: Date, metadata: EventMetadata): Promise<Result<NewStreamEvent | null, ChatFailure>> {
    const attendees = await gateway.listChatAttendees(chat.id);
    if (!attendees.ok) return gone(attendees.error) ? ok(null) : err({ operation: "listChatAttendees", failure: attendees.error });
    return ok(chatObservedFact(chat, attendees.value, at, metadata));
  }

  return {
    async listed(chats, at, metadata) {
      const recorded = await known(chats.map((c) => c.id));
      const facts: NewStreamEvent[] = [];
      for (const chat of chats) {
        const last = recorded.get(chat.id);
        if (last && chatObservedFact(chat, last.attendees, at, metadata).dedupeKey === last.dedupeKey) continue;
        const fact = await describe(chat, at, metadata);
        if (!fact.ok) return fact;
        if (fact.value) facts.push(fact.value);
      }
      return ok(facts);
    },

    async named(chatIds, at, metadata) {
      const recorded = await known(chatIds);
      const facts: NewStreamEvent[] = [];
      for (const id of new Set(chatIds)) {
        if (recorded.has(id)) continue;
        const chat = await gateway.getChat(id);
        if (!chat.ok) {
          if (gone(chat.error)) continue;
          return err({ operation: "getChat", failure: chat.error });
        }
        const { lastMessage: _last, ...described } = chat.value;
        const fact = await describe(described, at, metadata);
        if (!fact.ok) return fact;
        if (fact.value) facts.push(fact.value);
      }
      return ok(facts);
    },

    remember(facts) {
      for (const fact of facts) {
        if (fact.type !== "UnipileChatObserved" || !fact.dedupeKey) continue;
        const data = fact.data as { unipileChatId: string; attendees: unknown[] | null };
        cache.set(data.unipileChatId, { dedupeKey: fact.dedupeKey, attendees: data.attendees });
      }
    },
  };
}
