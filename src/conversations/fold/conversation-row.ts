/**
 * @module conversations/fold/conversation-row
 * A conversation row as its chat's events make it: created blank by the first
 * event naming the chat, described by Unipile's chat details (which win over
 * what webhooks suggest), read up to a mark. Its counts and newest message
 * are the batch's arithmetic (projection/counts.ts). Pure.
 */
import type { MessagingIds } from "../../unipile/ingest";
import { mergeAttendees } from "../changes";
import type { Attendee, ChatFields, ConversationRow } from "../model";

export interface Owner {
  accountId: string;
  userId: string;
}

const laterDate = (a: Date | null, b: Date) => (a && a >= b ? a : b);

/** The account has read the chat up to `upTo`: its messages are not written (see `seenBy`). */
export const markRead = (row: ConversationRow, upTo: Date): ConversationRow => ({ ...row, readUpTo: laterDate(row.readUpTo, upTo) });

export function blankConversation(unipileChatId: string, unipileAccountId: string, owner: Owner | null, at: Date, ids: MessagingIds): ConversationRow {
  return {
    id: ids.conversation(unipileChatId),
    unipileChatId,
    unipileAccountId,
    accountId: owner?.accountId ?? null,
    userId: owner?.userId ?? null,
    providerChatId: null,
    name: null,
    type: "single",
    attendees: [],
    lastActivityAt: at,
    lastMessageAt: null,
    lastMessageId: null,
    lastMessagePreview: null,
    unreadCount: 0,
    messageCount: 0,
    readUpTo: null,
    detailsKnown: false,
    createdAt: at,
    updatedAt: at,
  };
}

/** Unipile's description of a chat wins over what webhooks suggest; webhooks fill what it lacks. */
export function withChat(row: ConversationRow, chat: ChatFields): ConversationRow {
  if (chat.details) {
    return {
      ...row,
      providerChatId: chat.providerChatId ?? row.providerChatId,
      name: chat.name ?? row.name,
      type: chat.type ?? row.type,
      attendees: chat.attendees.map((a) => mergeAttendees([a], row.attendees.filter((o) => o.attendeeId !== null && o.attendeeId === a.attendeeId))[0] as Attendee),
      detailsKnown: true,
    };
  }
  return {
    ...row,
    providerChatId: row.providerChatId ?? chat.providerChatId,
    name: row.detailsKnown && row.name ? row.name : (chat.name ?? row.name),
    type: row.detailsKnown ? row.type : (chat.type ?? row.type),
    attendees: mergeAttendees(row.attendees, chat.attendees),
  };
}
