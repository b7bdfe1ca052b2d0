/**
 * @module unipile/ingest/lookups
 * Looks up at Unipile what a webhook names but does not describe, in the
 * background, after the webhook was answered:
 * - a chat the log has never seen (Unipile does not announce new chats):
 *   `GET /chats/{id}` and its attendees → `UnipileChatObserved`;
 * - a message that a reaction, edit, read, deletion or delivery names before
 *   the log has the message itself: `GET /messages/{id}` →
 *   `UnipileMessageObserved` (keyed like `message_received`, so whichever
 *   comes first is the one fact).
 * A failed lookup is logged and left to the sync, which pages every chat.
 */
import type { Logger } from "pino";
import type { Sql } from "../../db/client";
import { failureLog } from "../../db/errors";
import { type EventStore, systemMetadata } from "../../event-store";
import type { EventMetadata } from "../../event-store/event";
import type { Clock } from "../../lib/clock";
import type { UnipileGateway } from "..";
import { chatObservedFact, messageObservedFact } from "./rest-facts";
import { messageArrivalKey } from "./keys";
import { createLookupBounds } from "./lookup-bounds";

export interface MessagingFetcherDeps {
  sql: Sql;
  eventStore: EventStore;
  gateway: UnipileGateway;
  clock: Clock;
  logger: Logger;
  /** Called after a fact was appended (wakes the projection runner). */
  onAppended?: () => void;
  /** Lookups at once, for the whole replica and per Unipile account. @default unbounded */
  concurrency?: { global: number; perAccount: number };
}

export type MessagingFetcher = ReturnType<typeof createMessagingFetcher>;

export function createMessagingFetcher(deps: MessagingFetcherDeps) {
  const { gateway, eventStore, clock, logger } = deps;
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  const metadata = (causationId?: string): EventMetadata => systemMetadata("poll", clock, causationId ? { causationId } : {});

  const bounded = createLookupBounds(deps.concurrency);

  /** Runs `work` once per key at a time, in the background, within the bounds. */
  function once(key: string, work: () => Promise<void>, unipileAccountId?: string) {
    if (stopped || inFlight.has(key)) return;
    const promise = bounded(unipileAccountId, work)
      .catch((error) => logger.warn({ ...failureLog(error).fields, key }, "unipile lookup failed"))
      .finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
  }

  async function fetchChat(unipileChatId: string, causationId?: string) {
    const chat = await gateway.getChat(unipileChatId);
    if (!chat.ok) {
      logger.warn({ chat: unipileChatId, failure: chat.error }, "chat lookup failed; the sync will describe it");
      return;
    }
    const attendees = await gateway.listChatAttendees(unipileChatId);
    const { lastMessage: _last, ...described } = chat.value;
    await eventStore.appendFacts([chatObservedFact(described, attendees.ok ? attendees.value : null, clock.now(), metadata(causationId))]);
    deps.onAppended?.();
  }

  async function fetchMessage(unipileMessageId: string, causationId?: string) {
    if (await eventStore.hasDedupeKey(messageArrivalKey(unipileMessageId))) return;
    const message = await gateway.getMessage(unipileMessageId);
    if (!message.ok) {
      logger.warn({ message: unipileMessageId, failure: message.error }, "message lookup failed; the sync will bring it");
      return;
    }
    await eventStore.appendFacts([messageObservedFact(message.value, "fetch", clock.now(), metadata(causationId))]);
    deps.onAppended?.();
  }

  return {
    /** Describes a chat the log just saw for the first time. */
    chatSeen(unipileChatId: string, causationId?: string, unipileAccountId?: string) {
      once(`chat:${unipileChatId}`, () => fetchChat(unipileChatId, causationId), unipileAccountId);
    },
    /** Fetches a message a follow-up event named, unless the log has it. */
    messageNamed(unipileMessageId: string, causationId?: string, unipileAccountId?: string) {
      once(`message:${unipileMessageId}`, () => fetchMessage(unipileMessageId, causationId), unipileAccountId);
    },
    /** Resolves when every lookup in flight has finished. */
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()]);
    },
    async stop() {
      stopped = true;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
