/**
 * @module conversations/fold
 * The read model's pipeline in one place, for the projection, the live stream
 * and the auditors: which events it reads, the changes an event makes, the
 * rows a change touches, the fold, and a conversation from scratch. Callers
 * outside conversations/ use this, never the steps one by one.
 */
import { messagingIds, type MessagingIds } from "../../unipile/ingest";
import { type LoggedEvent, translateEvent } from "../changes";
import { MESSAGING_PROJECTION_EVENT_TYPES } from "../events";
import type { ConversationRow, MessageRow } from "../model";
import { unipileMessageIdsOf } from "../projection/aliases";
import { summarizeConversation } from "../projection/counts";
import { foldMessaging, keysOf, type MessagingState, type TimedChange } from "./batch";

export type { MessagingEffects, MessagingState, Owner, TimedChange } from "./batch";

const changesOf = (events: readonly LoggedEvent[]): TimedChange[] =>
  events.flatMap((event) => translateEvent(event).map((change) => ({ change, recordedAt: event.recordedAt })));

/** Every row the changes touch, by kind of key. */
function touched(changes: readonly TimedChange[], ids: MessagingIds) {
  const keys = { chats: new Set<string>(), messages: new Set<string>(), owners: new Set<string>() };
  for (const { change } of changes) {
    const k = keysOf(change, ids);
    for (const c of k.chats) keys.chats.add(c);
    for (const m of k.messages) keys.messages.add(m);
    for (const o of k.owners) keys.owners.add(o);
  }
  return keys;
}

export const conversationsFold = {
  /** The event types the read model reads. */
  eventTypes: MESSAGING_PROJECTION_EVENT_TYPES,
  changesOf,
  /** The rows the changes touch (`ids`: the projection's, which knows our sends' ids of Unipile messages). */
  keysOf: (changes: readonly TimedChange[], ids: MessagingIds = messagingIds) => touched(changes, ids),
  /** Applies changes in log order to `state` (mutated); returns what rows outside it need. */
  fold: (state: MessagingState, changes: readonly TimedChange[], ids: MessagingIds = messagingIds) => foldMessaging(state, changes, ids),
  /** The rows one event touches, for a reader that loads them from the tables (the live stream). */
  rowsOf(event: LoggedEvent) {
    const changes = changesOf([event]);
    const keys = touched(changes, messagingIds);
    // A message we sent keeps its send's id, not the one derived from Unipile's: the reader looks it up by Unipile's id too.
    return { chatIds: [...keys.chats], messageIds: [...keys.messages], unipileMessageIds: changes.flatMap((c) => unipileMessageIdsOf(c.change)) };
  },
  /** The conversation of `unipileChatId` and its arrived messages (newest first) from these events alone; null if they never name it. */
  replay(events: readonly LoggedEvent[], unipileChatId: string): { conversation: ConversationRow; messages: MessageRow[] } | null {
    const state: MessagingState = { conversations: new Map(), messages: new Map(), owners: new Map(), aliases: new Map() };
    foldMessaging(state, changesOf(events), messagingIds);
    const folded = state.conversations.get(unipileChatId);
    if (!folded) return null;
    const messages = [...state.messages.values()].filter((m): m is MessageRow => m !== null && m.conversationId === folded.id && m.arrived);
    messages.sort((a, b) => b.sentAt.getTime() - a.sentAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return { conversation: summarizeConversation(folded, messages), messages };
  },
} as const;
