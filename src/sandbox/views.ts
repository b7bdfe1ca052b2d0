/**
 * @module sandbox/views
 * REST shapes exactly as Unipile v1 answers (and as the SDK validators want
 * them): 0/1 integer flags, `quoted` and `event_type` omitted rather than
 * null, `created_at` with milliseconds, attachments in the REST union.
 */
import { phoneJid } from "./ids";
import type {
  SandboxAccount,
  SandboxAttachment,
  SandboxAttendee,
  SandboxChat,
  SandboxMessage,
  SandboxStore,
  SandboxWebhook,
} from "./store";

const flag = (value: boolean): 0 | 1 => (value ? 1 : 0);

export const accountView = (account: SandboxAccount) => ({
  object: "Account" as const,
  type: "WHATSAPP" as const,
  id: account.id,
  name: account.name,
  created_at: account.createdAt,
  connection_params: { im: { phone_number: account.phone ?? "" } },
  groups: [] as string[],
  sources: [{ id: `${account.id}_MESSAGING`, status: account.status }],
});

/** Provider id a participant is known by in messages: `@lid` when it uses one. */
export const senderProviderId = (attendee: SandboxAttendee): string => attendee.lid ?? phoneJid(attendee.phone);

export const chatView = (chat: SandboxChat, store: SandboxStore) => {
  const contact = chat.type === 0 ? store.attendees.get(chat.attendeeIds[0] ?? "") : undefined;
  return {
    object: "Chat" as const,
    id: chat.id,
    account_id: chat.accountId,
    account_type: "WHATSAPP" as const,
    provider_id: chat.providerId,
    ...(contact
      ? { attendee_provider_id: phoneJid(contact.phone), attendee_public_identifier: phoneJid(contact.phone) }
      : {}),
    name: chat.name,
    type: chat.type,
    timestamp: chat.timestamp,
    unread_count: chat.unreadCount,
    archived: chat.archived,
    muted_until: chat.mutedUntil,
    read_only: 0 as const,
    disabledFeatures: [] as string[],
    pinned: 0 as const,
    ...(chat.type === 1 ? { subject: chat.name ?? "" } : {}),
  };
};

export const attachmentView = (a: SandboxAttachment) => {
  const base = { id: a.id, file_size: a.bytes.byteLength, mimetype: a.mimetype, unavailable: false };
  switch (a.type) {
    case "img":
      return { ...base, type: "img" as const, size: { width: 1080, height: 1920 }, sticker: false };
    case "video":
      return { ...base, type: "video" as const, size: { width: 720, height: 1280 }, gif: false };
    case "audio":
      return { ...base, type: "audio" as const, voice_note: a.mimetype.startsWith("audio/ogg"), duration: 7 };
    case "file":
      return { ...base, type: "file" as const, file_name: a.fileName };
  }
};

const quotedView = (quoted: SandboxMessage) => ({
  provider_id: quoted.providerId,
  sender_id: quoted.senderId,
  text: quoted.text,
  attachments: quoted.attachments.map(attachmentView),
});

export const messageView = (m: SandboxMessage, store: SandboxStore) => {
  const chat = store.chats.get(m.chatId);
  const quoted = m.quotedId ? store.messages.get(m.quotedId) : undefined;
  return {
    object: "Message" as const,
    id: m.id,
    account_id: m.accountId,
    chat_id: m.chatId,
    chat_provider_id: chat?.providerId ?? "",
    provider_id: m.providerId,
    sender_id: m.senderId,
    sender_attendee_id: m.senderAttendeeId,
    text: m.deleted ? null : m.text,
    attachments: m.deleted ? [] : m.attachments.map(attachmentView),
    timestamp: m.timestamp,
    is_sender: flag(m.isSender),
    ...(quoted ? { quoted: quotedView(quoted) } : {}),
    reactions: m.reactions.map((r) => ({ value: r.value, sender_id: r.senderId, is_sender: r.isSender })),
    seen: flag(Object.keys(m.seenBy).length > 0),
    seen_by: { ...m.seenBy },
    hidden: 0 as const,
    deleted: flag(m.deleted),
    edited: flag(m.edited),
    is_event: 0 as const,
    delivered: flag(m.delivered),
    behavior: null,
    original: JSON.stringify({ key: { remoteJid: chat?.providerId ?? "", fromMe: m.isSender, id: m.providerId } }),
    message_type: "MESSAGE" as const,
    ...m.overrides,
  };
};

export const attendeeView = (a: SandboxAttendee) => ({
  object: "ChatAttendee" as const,
  id: a.id,
  account_id: a.accountId,
  provider_id: phoneJid(a.phone),
  name: a.name,
  is_self: flag(a.isSelf),
  hidden: 0 as const,
});

export const webhookView = (w: SandboxWebhook, store: SandboxStore) => ({
  object: "Webhook" as const,
  id: w.id,
  type: "AUTO" as const,
  source: w.source,
  account_ids: w.accountIds.map((id) => ({ id, type: "WHATSAPP" as const, name: store.accounts.get(id)?.name })),
  enabled: w.enabled,
  ...(w.name === undefined ? {} : { name: w.name }),
  request_url: w.requestUrl,
  format: w.format,
  headers: w.headers,
  data: w.data,
  ...(w.events ? { events: w.events } : {}),
});
