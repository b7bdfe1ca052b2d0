/**
 * @module conversations/model
 * The rows of the conversations and messages projection, as pure types, and
 * the normalised changes the log's events make to them. Pure.
 */
import type { AttachmentMeta } from "./events";

/** WhatsApp's limit on one text message, in characters (Unipile answers 400 too_many_characters past it). */
export const WHATSAPP_MAX_TEXT_LENGTH = 65_536;

export type ConversationType = "single" | "group" | "channel";

/**
 * `received` for messages others wrote; the account's own messages go
 * pending → sent → delivered → read, or failed.
 */
export type MessageStatus = "received" | "pending" | "sent" | "delivered" | "read" | "failed";

export interface Attendee {
  /** Unipile attendee id. */
  attendeeId: string | null;
  name: string | null;
  /** WhatsApp id: a phone JID, or an opaque `@lid`. */
  providerId: string | null;
  /** Digits with country code, when a phone is known (never read from an `@lid`). */
  phone: string | null;
}

export type MessageAttachment = AttachmentMeta;

export interface QuotedMessage {
  /** Unipile's id of the quoted message, when known (our own replies). */
  unipileMessageId: string | null;
  providerMessageId: string | null;
  senderProviderId: string | null;
  text: string | null;
}

export interface Reaction {
  value: string;
  senderId: string | null;
  senderName: string | null;
  isSender: boolean;
  at: string | null;
}

export interface SendFailure {
  reason: string;
  status: number | null;
  type: string | null;
  title: string | null;
  detail: string | null;
}

export interface ConversationRow {
  id: string;
  unipileChatId: string;
  unipileAccountId: string;
  accountId: string | null;
  userId: string | null;
  providerChatId: string | null;
  name: string | null;
  type: ConversationType;
  attendees: Attendee[];
  lastActivityAt: Date;
  lastMessageAt: Date | null;
  lastMessageId: string | null;
  lastMessagePreview: string | null;
  unreadCount: number;
  messageCount: number;
  readUpTo: Date | null;
  detailsKnown: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface MessageRow {
  id: string;
  conversationId: string | null;
  unipileAccountId: string;
  unipileChatId: string | null;
  unipileMessageId: string | null;
  providerMessageId: string | null;
  sendId: string | null;
  senderAttendeeId: string | null;
  senderProviderId: string | null;
  senderName: string | null;
  senderPhone: string | null;
  text: string | null;
  attachments: MessageAttachment[];
  quoted: QuotedMessage | null;
  reactions: Reaction[];
  sentAt: Date;
  isSender: boolean;
  status: MessageStatus;
  failure: SendFailure | null;
  edited: boolean;
  editedAt: Date | null;
  deleted: boolean;
  deletedAt: Date | null;
  seen: boolean;
  deliveredAt: Date | null;
  readAt: Date | null;
  arrived: boolean;
  updatedAt: Date;
}

/** What a message is, as far as one fact tells. */
export interface MessageFields
  extends Pick<
    MessageRow,
    "providerMessageId" | "senderAttendeeId" | "senderProviderId" | "senderName" | "senderPhone" | "text" | "attachments" | "quoted" | "sentAt" | "isSender"
  > {
  unipileMessageId: string;
  /** Null when the fact does not say (webhooks carry no reactions). */
  reactions: Reaction[] | null;
  /** REST flags, when the fact has them. */
  flags: { seen: boolean; delivered: boolean; edited: boolean; deleted: boolean } | null;
}

/** What a fact says about a chat. */
export interface ChatFields {
  providerChatId: string | null;
  name: string | null;
  type: ConversationType | null;
  attendees: Attendee[];
  /** True for Unipile's own description of the chat (it wins over names guessed from webhooks). */
  details: boolean;
}

interface Base {
  unipileAccountId: string;
  at: Date;
}

/** A change to conversations and messages, normalised from one event of the log. */
export type MessagingChange =
  | { kind: "owner"; unipileAccountId: string; accountId: string; userId: string }
  | (Base & { kind: "chat"; unipileChatId: string; chat: ChatFields })
  | (Base & { kind: "arrived"; unipileChatId: string; message: MessageFields })
  | (Base & {
      kind: "followup";
      unipileChatId: string;
      /** The message as the follow-up's body describes it (its time is the event's). */
      message: MessageFields;
      action:
        | { type: "edited"; text: string | null }
        | { type: "deleted" }
        | { type: "reaction"; reaction: Reaction }
        | { type: "read" }
        | { type: "delivered" };
    })
  | (Base & {
      kind: "send_requested";
      sendId: string;
      unipileChatId: string | null;
      text: string;
      attachments: MessageAttachment[];
      quoteUnipileMessageId: string | null;
    })
  | (Base & { kind: "send_succeeded"; sendId: string; unipileChatId: string | null; unipileMessageId: string | null })
  | (Base & { kind: "send_failed"; sendId: string; failure: SendFailure })
  | (Base & { kind: "marked_read"; unipileChatId: string });
