/**
 * @module sandbox/webhook-bodies
 * Bodies of the webhooks Unipile POSTs, per shape: flat messaging events
 * (booleans, not 0/1; `message` is the text), the `{"AccountStatus": {...}}`
 * envelope, and the hosted-auth `notify_url` callback.
 */
import { phoneJid } from "./ids";
import type { SandboxAccount, SandboxAttachment, SandboxAttendee, SandboxMessage, SandboxStore } from "./store";
import { senderProviderId } from "./views";

export type MessagingEvent =
  | "message_received"
  | "message_reaction"
  | "message_read"
  | "message_edited"
  | "message_deleted"
  | "message_delivered";

export const MESSAGING_EVENTS: readonly MessagingEvent[] = [
  "message_received",
  "message_reaction",
  "message_read",
  "message_edited",
  "message_deleted",
  "message_delivered",
];

export type MessagingBody = Record<string, unknown> & { event: MessagingEvent; account_id: string };

/** Webhook attendee object; `attendee_provider_id` is the `@lid` when the contact has one. */
export const webhookAttendee = (a: SandboxAttendee) => ({
  attendee_id: a.id,
  attendee_name: a.name,
  attendee_provider_id: senderProviderId(a),
  attendee_profile_url: null,
  attendee_public_identifier: phoneJid(a.phone),
  attendee_specifics: { provider: "WHATSAPP", phone_number: `+${a.phone}`, ...(a.lid ? { lid: a.lid } : {}) },
});

const webhookAttachment = (message: SandboxMessage, a: SandboxAttachment) => ({
  id: a.id,
  type: a.type,
  mimetype: a.mimetype,
  file_size: a.bytes.byteLength,
  unavailable: false,
  url: `att://${message.accountId}/${Buffer.from(`sandbox/${a.id}`).toString("base64url")}/${a.id}`,
  ...(a.type === "file" ? { file_name: a.fileName } : {}),
  ...(a.type === "img" ? { size: { width: 1080, height: 1920 }, sticker: false } : {}),
  ...(a.type === "audio" ? { voice_note: a.mimetype.startsWith("audio/ogg") } : {}),
});

export interface EventExtras {
  /** Event time (defaults to the message's own timestamp, right for `message_received`). */
  timestamp?: string;
  reaction?: { value: string; sender: SandboxAttendee };
}

/** A flat messaging webhook body for `event` about `message`, without `webhook_name` (set per webhook). */
export function messagingBody(
  store: SandboxStore,
  account: SandboxAccount,
  event: MessagingEvent,
  message: SandboxMessage,
  extras: EventExtras = {},
): MessagingBody {
  const chat = store.requireChat(message.chatId);
  const sender = store.attendees.get(message.senderAttendeeId);
  const others = chat.attendeeIds.flatMap((id) => store.attendees.get(id) ?? []);
  const quoted = message.quotedId ? store.messages.get(message.quotedId) : undefined;
  return {
    event,
    account_id: account.id,
    account_type: "WHATSAPP",
    account_info: { type: "WHATSAPP", phone_number: account.phone ? `+${account.phone}` : null },
    chat_id: chat.id,
    message_id: message.id,
    provider_chat_id: chat.providerId,
    provider_message_id: message.providerId,
    timestamp: extras.timestamp ?? message.timestamp,
    message: message.deleted ? "" : (message.text ?? ""),
    is_sender: message.isSender,
    is_group: chat.type === 1,
    is_event: 0,
    event_type: null,
    message_type: "MESSAGE",
    subject: chat.type === 1 ? chat.name : null,
    quoted: quoted ? { provider_id: quoted.providerId, sender_id: quoted.senderId, text: quoted.text } : null,
    reply_to: null,
    is_forwarded: null,
    chat_pinned: 0,
    chat_content_type: null,
    folder: null,
    sender: sender ? webhookAttendee(sender) : null,
    attendees: others.map(webhookAttendee),
    attachments: message.deleted ? [] : message.attachments.map((a) => webhookAttachment(message, a)),
    ...(extras.reaction
      ? {
          reaction: extras.reaction.value,
          reaction_sender: webhookAttendee(extras.reaction.sender),
        }
      : {}),
  };
}

/** Every status Unipile reports in `AccountStatus.message`. */
export const ACCOUNT_STATUS_MESSAGES = [
  "OK",
  "ERROR",
  "STOPPED",
  "CREDENTIALS",
  "PERMISSIONS",
  "CONNECTING",
  "DELETED",
  "CREATION_SUCCESS",
  "CREATION_FAIL",
  "RECONNECTED",
  "SYNC_SUCCESS",
] as const;
export type AccountStatusMessage = (typeof ACCOUNT_STATUS_MESSAGES)[number];

export const accountStatusBody = (accountId: string, message: AccountStatusMessage) => ({
  AccountStatus: { account_id: accountId, account_type: "WHATSAPP", message },
});

export const hostedAuthBody = (status: "CREATION_SUCCESS" | "RECONNECTED", accountId: string, name: string) => ({
  status,
  account_id: accountId,
  name,
});
