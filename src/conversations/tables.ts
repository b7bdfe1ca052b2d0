/**
 * @module conversations/tables
 * The conversations and messages projection's tables. Every value comes from
 * events (no serials, no now()), so a rebuild compares row for row.
 * `messaging_accounts` is the projection's own copy of who owns which Unipile
 * account: a projection never reads another projection's tables, which may
 * stand at another log position.
 */
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type {
  Attendee,
  ConversationRow,
  ConversationType,
  MessageAttachment,
  MessageRow,
  MessageStatus,
  QuotedMessage,
  Reaction,
  SendFailure,
} from "./model";

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const makeMessagingAccountsTable = (name: string) =>
  pgTable(name, {
    unipileAccountId: text("unipile_account_id").primaryKey(),
    accountId: uuid("account_id").notNull(),
    userId: text("user_id").notNull(),
  });

export const makeConversationsTable = (name: string) =>
  pgTable(
    name,
    {
      id: uuid("id").primaryKey(),
      unipileChatId: text("unipile_chat_id").notNull().unique(`${name}_unipile_chat_id_unique`),
      unipileAccountId: text("unipile_account_id").notNull(),
      accountId: uuid("account_id"),
      userId: text("user_id"),
      providerChatId: text("provider_chat_id"),
      name: text("name"),
      type: text("type").$type<ConversationType>().notNull(),
      attendees: jsonb("attendees").$type<Attendee[]>().notNull(),
      /** Newest message time, else when the conversation was first seen: the list's sort key. */
      lastActivityAt: ts("last_activity_at").notNull(),
      lastMessageAt: ts("last_message_at"),
      lastMessageId: uuid("last_message_id"),
      lastMessagePreview: text("last_message_preview"),
      unreadCount: integer("unread_count").notNull(),
      messageCount: integer("message_count").notNull(),
      /** Incoming messages up to this time count as read (our mark, or a read on the phone). */
      readUpTo: ts("read_up_to"),
      /** Whether Unipile's own description of the chat (GET /chats/{id}) is in the log. */
      detailsKnown: boolean("details_known").notNull(),
      createdAt: ts("created_at").notNull(),
      updatedAt: ts("updated_at").notNull(),
    },
    (t) => [
      index(`${name}_user_activity_idx`).on(t.userId, t.lastActivityAt.desc(), t.id.desc()),
      index(`${name}_account_activity_idx`).on(t.accountId, t.lastActivityAt.desc(), t.id.desc()),
      index(`${name}_unipile_account_idx`).on(t.unipileAccountId),
    ],
  );

export const makeMessagesTable = (name: string) =>
  pgTable(
    name,
    {
      id: uuid("id").primaryKey(),
      /** Null for a send to a new chat that Unipile never started. */
      conversationId: uuid("conversation_id"),
      unipileAccountId: text("unipile_account_id").notNull(),
      unipileChatId: text("unipile_chat_id"),
      /** Null while our own send waits for Unipile's answer. */
      unipileMessageId: text("unipile_message_id").unique(`${name}_unipile_message_id_unique`),
      providerMessageId: text("provider_message_id"),
      /** The send from CommSync that made it, if any. */
      sendId: uuid("send_id"),
      senderAttendeeId: text("sender_attendee_id"),
      senderProviderId: text("sender_provider_id"),
      senderName: text("sender_name"),
      /** Digits with country code; only from a phone JID or a phone field, never from an `@lid` id. */
      senderPhone: text("sender_phone"),
      text: text("text"),
      attachments: jsonb("attachments").$type<MessageAttachment[]>().notNull(),
      quoted: jsonb("quoted").$type<QuotedMessage | null>(),
      reactions: jsonb("reactions").$type<Reaction[]>().notNull(),
      sentAt: ts("sent_at").notNull(),
      isSender: boolean("is_sender").notNull(),
      status: text("status").$type<MessageStatus>().notNull(),
      failure: jsonb("failure").$type<SendFailure | null>(),
      edited: boolean("edited").notNull(),
      editedAt: ts("edited_at"),
      deleted: boolean("deleted").notNull(),
      deletedAt: ts("deleted_at"),
      seen: boolean("seen").notNull(),
      deliveredAt: ts("delivered_at"),
      readAt: ts("read_at"),
      /**
       * False while only later events (an edit, a reaction, a read) named the
       * message: it is kept, hidden from queries, until the message itself arrives.
       */
      arrived: boolean("arrived").notNull(),
      updatedAt: ts("updated_at").notNull(),
    },
    (t) => [
      index(`${name}_conversation_time_idx`)
        .on(t.conversationId, t.sentAt.desc(), t.id.desc())
        .where(sql`arrived`),
      index(`${name}_send_idx`).on(t.sendId),
      // Replies name the quoted message by its WhatsApp id: queries find ours through this.
      index(`${name}_conversation_provider_idx`).on(t.conversationId, t.providerMessageId),
    ],
  );

export const messagingAccounts = makeMessagingAccountsTable("messaging_accounts");
export const conversations = makeConversationsTable("conversations");
export const messages = makeMessagesTable("messages");

export type MessagingAccountRow = typeof messagingAccounts.$inferSelect;

// The tables and the pure row types must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const conversationRowMatches: Same<typeof conversations.$inferSelect, ConversationRow> = true;
export const messageRowMatches: Same<typeof messages.$inferSelect, MessageRow> = true;
