/**
 * @module conversations/views
 * The JSON shapes of conversations and messages, their zod schemas (for the
 * API documents), and the opaque page cursors.
 */
import { z } from "zod";
import { ApiError } from "../http/errors";
import { isoTime } from "../http/input";
import { seenBy } from "./projection/counts";
import { messageIdFor } from "../unipile/ingest";
import type { ConversationRow, MessageRow } from "./model";
import type { Keyset } from "./queries";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const AttendeeSchema = z.object({
  attendeeId: z.string().nullable(),
  name: z.string().nullable(),
  providerId: z.string().nullable().describe("WhatsApp id: a phone JID, or an opaque @lid"),
  phone: z.string().nullable().describe("Digits with country code, when known (never read from an @lid)"),
});

export const ConversationSchema = z
  .object({
    id: z.uuid(),
    accountId: z.uuid().nullable(),
    userId: z.string().nullable(),
    unipileAccountId: z.string(),
    unipileChatId: z.string(),
    providerChatId: z.string().nullable(),
    name: z.string().nullable(),
    type: z.enum(["single", "group", "channel"]),
    attendees: z.array(AttendeeSchema),
    lastActivityAt: z.string(),
    lastMessageAt: z.string().nullable(),
    lastMessageId: z.uuid().nullable(),
    lastMessagePreview: z.string().nullable(),
    unreadCount: z.number().int(),
    messageCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Conversation" });

const AttachmentSchema = z.object({
  id: z.string().nullable(),
  type: z.string().nullable(),
  fileName: z.string().nullable(),
  mimetype: z.string().nullable(),
  size: z.number().nullable(),
  unavailable: z.boolean(),
});

export const MessageSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid().nullable(),
    unipileMessageId: z.string().nullable(),
    providerMessageId: z.string().nullable(),
    sendId: z.uuid().nullable().describe("The CommSync send that made it"),
    sender: z.object({ attendeeId: z.string().nullable(), providerId: z.string().nullable(), name: z.string().nullable(), phone: z.string().nullable() }),
    text: z.string().nullable(),
    attachments: z.array(AttachmentSchema),
    quoted: z
      .object({ messageId: z.uuid().nullable(), unipileMessageId: z.string().nullable(), providerMessageId: z.string().nullable(), senderProviderId: z.string().nullable(), text: z.string().nullable() })
      .nullable(),
    reactions: z.array(z.object({ value: z.string(), senderId: z.string().nullable(), senderName: z.string().nullable(), isSender: z.boolean(), at: z.string().nullable() })),
    sentAt: z.string(),
    isSender: z.boolean().describe("Written by the connected account (from CommSync or the phone)"),
    status: z.enum(["received", "pending", "sent", "delivered", "read", "failed"]),
    failure: z.object({ reason: z.string(), status: z.number().nullable(), type: z.string().nullable(), title: z.string().nullable(), detail: z.string().nullable() }).nullable(),
    edited: z.boolean(),
    editedAt: z.string().nullable(),
    deleted: z.boolean(),
    deletedAt: z.string().nullable(),
    seen: z.boolean().describe("For messages others wrote: read by the account"),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
  })
  .meta({ id: "Message" });

export function conversationView(row: ConversationRow): z.infer<typeof ConversationSchema> {
  return {
    id: row.id,
    accountId: row.accountId,
    userId: row.userId,
    unipileAccountId: row.unipileAccountId,
    unipileChatId: row.unipileChatId,
    providerChatId: row.providerChatId,
    name: row.name,
    type: row.type,
    attendees: row.attendees,
    lastActivityAt: row.lastActivityAt.toISOString(),
    lastMessageAt: iso(row.lastMessageAt),
    lastMessageId: row.lastMessageId,
    lastMessagePreview: row.lastMessagePreview,
    unreadCount: row.unreadCount,
    messageCount: row.messageCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * `quotedMessageId`: our id of the quoted message when a query found it by its WhatsApp id.
 * `readUpTo`: the conversation's read mark, which says (with the row) whether the account has read it.
 */
export function messageView(row: MessageRow & { quotedMessageId?: string | null }, readUpTo: Date | null): z.infer<typeof MessageSchema> {
  // The row found wins: a quoted message we sent keeps its send's id, not the one derived from Unipile's.
  const quotedId = row.quotedMessageId ?? (row.quoted?.unipileMessageId ? messageIdFor(row.quoted.unipileMessageId) : null);
  return {
    id: row.id,
    conversationId: row.conversationId,
    unipileMessageId: row.unipileMessageId,
    providerMessageId: row.providerMessageId,
    sendId: row.sendId,
    sender: { attendeeId: row.senderAttendeeId, providerId: row.senderProviderId, name: row.senderName, phone: row.senderPhone },
    text: row.text,
    attachments: row.attachments,
    quoted: row.quoted ? { ...row.quoted, messageId: quotedId } : null,
    reactions: row.reactions,
    sentAt: row.sentAt.toISOString(),
    isSender: row.isSender,
    status: row.status,
    failure: row.failure,
    edited: row.edited,
    editedAt: iso(row.editedAt),
    deleted: row.deleted,
    deletedAt: iso(row.deletedAt),
    seen: seenBy(row, readUpTo),
    deliveredAt: iso(row.deliveredAt),
    readAt: iso(row.readAt),
  };
}

/** An opaque cursor: base64url of the last served row's time and id. */
export const encodeCursor = (keyset: Keyset | null): string | null =>
  keyset ? Buffer.from(JSON.stringify([keyset.at.toISOString(), keyset.id])).toString("base64url") : null;

/** What a cursor must hold: a time Postgres can compare (years 0001–9999) and a row id. */
const CursorSchema = z.tuple([isoTime("the cursor's time"), z.uuid()]);

/** The keyset a cursor stands for; 400 for anything this API did not give out (tampered, or another route's). */
export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (!cursor) return null;
  try {
    const [at, id] = CursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { at, id };
  } catch {
    throw new ApiError("VALIDATION_FAILED", "The cursor is not one this API gave out.", [{ path: "cursor", message: "invalid cursor" }]);
  }
}
