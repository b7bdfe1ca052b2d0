/**
 * @module conversations/changes
 * The log's events → normalised changes to conversations and messages. The
 * raw Unipile payloads in the log are parsed here, on read, with the edge
 * schemas, so a better reading of an old payload only needs a replay. A
 * payload that does not parse changes nothing (it stays in the log for the
 * auditors). Pure.
 */
import { normalizePhone, phoneFromJid } from "../lib/phone";
import { isSupportedTime } from "../lib/time-range";
import {
  parseMessagingWebhook,
  RestAttendeeSchema,
  RestChatSchema,
  RestMessageSchema,
  type MessagingWebhook,
  type RestMessage,
  type WebhookAttendee,
} from "../unipile/payloads";
import type { AccountConnectionRequested } from "../accounts/events";
import type {
  ConversationMarkedRead,
  MessageSendFailed,
  MessageSendRequested,
  MessageSent,
  UnipileChatObserved,
  UnipileMessageObserved,
} from "./events";
import type { Attendee, ChatFields, MessageFields, MessagingChange } from "./model";

/** The part of a recorded event this module reads. */
export interface LoggedEvent {
  type: string;
  data: unknown;
  recordedAt: Date;
}

const CHAT_TYPES = ["single", "group", "channel"] as const;

export function translateEvent(event: LoggedEvent): MessagingChange[] {
  switch (event.type) {
    case "UnipileWebhookReceived":
      return fromWebhook(event);
    case "UnipileMessageObserved":
      return fromObservedMessage(event.data as UnipileMessageObserved["data"]);
    case "UnipileChatObserved":
      return fromObservedChat(event.data as UnipileChatObserved["data"]);
    case "AccountConnectionRequested": {
      const data = event.data as AccountConnectionRequested["data"];
      return [{ kind: "owner", unipileAccountId: data.unipileAccountId, accountId: data.accountId, userId: data.userId }];
    }
    case "MessageSendRequested": {
      const data = event.data as MessageSendRequested["data"];
      return [
        {
          kind: "send_requested",
          unipileAccountId: data.unipileAccountId,
          at: new Date(data.at),
          sendId: data.sendId,
          unipileChatId: data.unipileChatId,
          text: data.text,
          attachments: data.attachments,
          quoteUnipileMessageId: data.quoteUnipileMessageId,
        },
      ];
    }
    case "MessageSent": {
      const data = event.data as MessageSent["data"];
      return [
        {
          kind: "send_succeeded",
          unipileAccountId: data.unipileAccountId,
          at: new Date(data.at),
          sendId: data.sendId,
          unipileChatId: data.unipileChatId,
          unipileMessageId: data.unipileMessageId,
        },
      ];
    }
    case "MessageSendFailed": {
      const data = event.data as MessageSendFailed["data"];
      const { status, type, title, detail } = data.unipile;
      return [
        { kind: "send_failed", unipileAccountId: data.unipileAccountId, at: new Date(data.at), sendId: data.sendId, failure: { reason: data.reason, status, type, title, detail } },
      ];
    }
    case "ConversationMarkedRead": {
      const data = event.data as ConversationMarkedRead["data"];
      return [{ kind: "marked_read", unipileAccountId: data.unipileAccountId, at: new Date(data.at), unipileChatId: data.unipileChatId }];
    }
    default:
      return [];
  }
}

function fromWebhook(event: LoggedEvent): MessagingChange[] {
  const data = event.data as { kind?: string; raw?: unknown };
  if (data.kind !== "messaging") return [];
  const parsed = parseMessagingWebhook(data.raw);
  if (!parsed.success) return [];
  const body = parsed.data;
  const at = validDate(body.timestamp) ?? event.recordedAt;
  const base = { unipileAccountId: body.account_id, unipileChatId: body.chat_id, at };
  const chat: MessagingChange = { kind: "chat", ...base, chat: chatFromWebhook(body) };
  const message = messageFromWebhook(body, at);
  switch (body.event) {
    case "message_received":
      return [chat, { kind: "arrived", ...base, message }];
    case "message_edited":
      return [chat, { kind: "followup", ...base, message, action: { type: "edited", text: emptyToNull(body.message) } }];
    case "message_deleted":
      return [chat, { kind: "followup", ...base, message, action: { type: "deleted" } }];
    case "message_read":
      return [chat, { kind: "followup", ...base, message, action: { type: "read" } }];
    case "message_delivered":
      return [chat, { kind: "followup", ...base, message, action: { type: "delivered" } }];
    case "message_reaction": {
      const sender = body.reaction_sender ?? null;
      const ownPhone = normalizePhone(accountPhone(body));
      const reaction = {
        value: body.reaction ?? "",
        senderId: sender?.attendee_provider_id ?? sender?.attendee_id ?? null,
        senderName: sender?.attendee_name ?? null,
        isSender: ownPhone !== null && attendeePhone(sender) === ownPhone,
        at: at.toISOString(),
      };
      return [chat, { kind: "followup", ...base, message, action: { type: "reaction", reaction } }];
    }
    default:
      return [chat];
  }
}

function chatFromWebhook(body: MessagingWebhook): ChatFields {
  const others = (body.attendees ?? []).map(attendeeFromWebhook);
  const sender = body.sender && !body.is_sender ? [attendeeFromWebhook(body.sender)] : [];
  const isGroup = body.is_group ?? null;
  const contactName = others[0]?.name ?? sender[0]?.name ?? null;
  return {
    providerChatId: body.provider_chat_id ?? null,
    name: isGroup ? (body.subject ?? null) : contactName,
    type: isGroup === null ? null : isGroup ? "group" : "single",
    attendees: mergeAttendees(others, sender),
    details: false,
  };
}

function messageFromWebhook(body: MessagingWebhook, at: Date): MessageFields {
  const sender = body.sender ?? null;
  const ownPhone = normalizePhone(accountPhone(body));
  const isSender = body.is_sender ?? (ownPhone !== null && attendeePhone(sender) === ownPhone);
  return {
    unipileMessageId: body.message_id,
    providerMessageId: body.provider_message_id ?? null,
    senderAttendeeId: sender?.attendee_id ?? null,
    senderProviderId: sender?.attendee_provider_id ?? null,
    senderName: sender?.attendee_name ?? null,
    senderPhone: attendeePhone(sender),
    text: emptyToNull(body.message),
    attachments: body.attachments.map((a) => ({
      id: a.id,
      type: a.type,
      fileName: a.fileName,
      mimetype: a.mimetype,
      size: a.fileSize,
      unavailable: a.unavailable,
    })),
    quoted: body.quoted
      ? { unipileMessageId: null, providerMessageId: body.quoted.provider_id ?? null, senderProviderId: body.quoted.sender_id ?? null, text: body.quoted.text ?? null }
      : null,
    reactions: null,
    sentAt: at,
    isSender,
    flags: null,
  };
}

function fromObservedMessage(data: UnipileMessageObserved["data"]): MessagingChange[] {
  const parsed = RestMessageSchema.safeParse(data.message);
  if (!parsed.success) return [];
  const m = parsed.data;
  const at = validDate(m.timestamp) ?? new Date(data.at);
  const base = { unipileAccountId: m.account_id, unipileChatId: m.chat_id, at };
  const chat: ChatFields = { providerChatId: m.chat_provider_id, name: null, type: null, attendees: [], details: false };
  return [
    { kind: "chat", ...base, chat },
    { kind: "arrived", ...base, message: messageFromRest(m, at) },
  ];
}

export function messageFromRest(m: RestMessage, at: Date): MessageFields {
  return {
    unipileMessageId: m.id,
    providerMessageId: m.provider_id,
    senderAttendeeId: m.sender_attendee_id || null,
    senderProviderId: m.sender_id || null,
    senderName: null,
    senderPhone: phoneFromJid(m.sender_id),
    text: emptyToNull(m.text),
    attachments: m.attachments.map((a) => ({
      id: a.id,
      type: a.type,
      fileName: a.file_name ?? null,
      mimetype: a.mimetype ?? null,
      size: a.file_size ?? null,
      unavailable: a.unavailable,
    })),
    quoted: m.quoted ? { unipileMessageId: null, providerMessageId: m.quoted.provider_id, senderProviderId: m.quoted.sender_id, text: m.quoted.text } : null,
    reactions: m.reactions.map((r) => ({ value: r.value, senderId: r.sender_id, senderName: null, isSender: r.is_sender, at: null })),
    sentAt: at,
    isSender: m.is_sender,
    flags: { seen: m.seen, delivered: m.delivered, edited: m.edited, deleted: m.deleted },
  };
}

/**
 * A chat as `UnipileChatObserved` holds it: Unipile's chat without what moves
 * with every message (unipile/ingest/rest-facts.ts leaves the unread count out of the fact).
 */
const ObservedChatSchema = RestChatSchema.omit({ unread_count: true });

function fromObservedChat(data: UnipileChatObserved["data"]): MessagingChange[] {
  const parsed = ObservedChatSchema.safeParse(data.chat);
  if (!parsed.success) return [];
  const chat = parsed.data;
  const attendees = (data.attendees ?? []).flatMap((raw) => {
    const a = RestAttendeeSchema.safeParse(raw);
    if (!a.success || a.data.is_self) return [];
    return [{ attendeeId: a.data.id, name: a.data.name, providerId: a.data.provider_id, phone: phoneFromJid(a.data.provider_id) }];
  });
  return [
    {
      kind: "chat",
      unipileAccountId: chat.account_id,
      unipileChatId: chat.id,
      at: new Date(data.at),
      chat: { providerChatId: chat.provider_id, name: chat.name, type: CHAT_TYPES[chat.type] ?? null, attendees, details: true },
    },
  ];
}

function attendeeFromWebhook(a: WebhookAttendee): Attendee {
  return { attendeeId: a.attendee_id ?? null, name: a.attendee_name ?? null, providerId: a.attendee_provider_id ?? null, phone: attendeePhone(a) };
}

/** The phone of a webhook attendee: its phone field or phone JID, never its `@lid`. */
function attendeePhone(a: WebhookAttendee | null | undefined): string | null {
  if (!a) return null;
  return normalizePhone(a.attendee_specifics?.phone_number) ?? phoneFromJid(a.attendee_public_identifier) ?? phoneFromJid(a.attendee_provider_id);
}

const accountPhone = (body: MessagingWebhook) => {
  const value = (body.account_info as Record<string, unknown> | null | undefined)?.phone_number;
  return typeof value === "string" ? value : null;
};

/** Attendees by attendee id (or provider id); later lists fill what earlier ones lack. */
export function mergeAttendees(...lists: Attendee[][]): Attendee[] {
  const merged: Attendee[] = [];
  for (const a of lists.flat()) {
    const same = merged.findIndex((m) => (a.attendeeId !== null && m.attendeeId === a.attendeeId) || (a.providerId !== null && m.providerId === a.providerId));
    if (same === -1) merged.push(a);
    else {
      const m = merged[same] as Attendee;
      merged[same] = { attendeeId: m.attendeeId ?? a.attendeeId, name: a.name ?? m.name, providerId: m.providerId ?? a.providerId, phone: m.phone ?? a.phone };
    }
  }
  return merged;
}

const emptyToNull = (text: string | null | undefined) => (text === undefined || text === null || text === "" ? null : text);

/** A payload's time, when it is one Postgres can store (years 0001–9999); null otherwise. */
function validDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return isSupportedTime(date) ? date : null;
}
