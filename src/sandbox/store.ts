/**
 * @module sandbox/store
 * The sandbox's in-memory state: accounts, attendees, chats, messages,
 * attachments and webhooks, with the lookups every route needs. Timestamps
 * come from the injected clock and are made strictly increasing, so "newest
 * first" is well defined even for messages created in the same millisecond.
 */
import { notFound } from "./errors";
import { phoneDigits, phoneJid, unipileId } from "./ids";

export type SourceStatus = "OK" | "STOPPED" | "ERROR" | "CREDENTIALS" | "PERMISSIONS" | "CONNECTING";

export interface SandboxAccount {
  id: string;
  name: string;
  createdAt: string;
  /** Own number, digits with country code; known once the phone scanned the QR. */
  phone: string | null;
  status: SourceStatus;
  /** True between `POST /accounts/{id}` and the next scan: the scan then means RECONNECTED. */
  reconnecting: boolean;
  qrcode: string;
  pairingCode?: string;
  selfAttendeeId?: string;
  /** Contact messages that arrived while the account was not OK; delivered on reconnection. */
  pending: Array<() => void>;
}

export interface SandboxAttendee {
  id: string;
  accountId: string;
  phone: string;
  /** Privacy linked id; when set, the contact writes as `<n>@lid`. */
  lid?: string;
  name: string;
  isSelf: boolean;
}

export interface SandboxChat {
  id: string;
  accountId: string;
  providerId: string;
  type: 0 | 1;
  name: string | null;
  /** Contacts in the chat (the account itself excluded). */
  attendeeIds: string[];
  timestamp: string;
  unreadCount: number;
  archived: 0 | 1;
  mutedUntil: -1 | string | null;
}

export type AttachmentType = "img" | "video" | "audio" | "file";

export interface SandboxAttachment {
  id: string;
  type: AttachmentType;
  mimetype: string;
  fileName: string;
  bytes: Uint8Array;
}

export interface SandboxReaction {
  value: string;
  senderId: string;
  isSender: boolean;
}

export interface SandboxMessage {
  id: string;
  accountId: string;
  chatId: string;
  providerId: string;
  senderAttendeeId: string;
  /** Provider id of the sender: phone JID, or `@lid` for contacts using one. */
  senderId: string;
  text: string | null;
  attachments: SandboxAttachment[];
  timestamp: string;
  isSender: boolean;
  quotedId?: string;
  reactions: SandboxReaction[];
  seenBy: Record<string, string>;
  deleted: boolean;
  edited: boolean;
  delivered: boolean;
  /** Fields the REST views show instead of the message's own (a Unipile answering with unexpected types). */
  overrides?: Record<string, unknown>;
}

export interface SandboxWebhook {
  id: string;
  createdAt: string;
  source: string;
  requestUrl: string;
  name?: string;
  format: "json" | "form";
  headers: Array<{ key: string; value: string }>;
  accountIds: string[];
  enabled: boolean;
  events?: string[];
  data: Array<{ name: string; key: string }>;
}

export interface SandboxStore {
  accounts: Map<string, SandboxAccount>;
  attendees: Map<string, SandboxAttendee>;
  chats: Map<string, SandboxChat>;
  /** Read-only by convention: write through `addMessage`, which keeps the chat index. */
  messages: Map<string, SandboxMessage>;
  webhooks: Map<string, SandboxWebhook>;
  /** Next timestamp, strictly after the previous one handed out. */
  nextTimestamp(): string;
  requireAccount(id: string): SandboxAccount;
  requireChat(id: string): SandboxChat;
  requireMessage(id: string): SandboxMessage;
  /** The contact with this phone on the account, created when first seen. */
  contact(accountId: string, phone: string, name?: string, lid?: boolean): SandboxAttendee;
  selfAttendee(account: SandboxAccount): SandboxAttendee;
  /** A 1:1 chat with this contact (existing one reused, as Unipile does). */
  directChat(accountId: string, contact: SandboxAttendee): SandboxChat;
  chatMessages(chatId: string): SandboxMessage[];
  /** Stores a message and indexes it under its chat. */
  addMessage(message: SandboxMessage): void;
  deleteAccount(id: string): void;
}

/** Creates an empty store; `now` is the clock in epoch ms. */
export function createStore(now: () => number): SandboxStore {
  let lastMs = 0;
  const accounts = new Map<string, SandboxAccount>();
  const attendees = new Map<string, SandboxAttendee>();
  const chats = new Map<string, SandboxChat>();
  const messages = new Map<string, SandboxMessage>();
  const webhooks = new Map<string, SandboxWebhook>();
  const byChat = new Map<string, SandboxMessage[]>();

  const store: SandboxStore = {
    accounts,
    attendees,
    chats,
    messages,
    webhooks,
    nextTimestamp() {
      lastMs = Math.max(now(), lastMs + 1);
      return new Date(lastMs).toISOString();
    },
    requireAccount: (id) => found(accounts.get(id), "Account"),
    requireChat: (id) => found(chats.get(id), "Chat"),
    requireMessage: (id) => found(messages.get(id), "Message"),
    contact(accountId, phone, name, lid) {
      const digits = phoneDigits(phone);
      for (const a of attendees.values()) {
        if (a.accountId === accountId && a.phone === digits && !a.isSelf) return a;
      }
      const attendee: SandboxAttendee = {
        id: unipileId(),
        accountId,
        phone: digits,
        name: name ?? `+${digits}`,
        isSelf: false,
        ...(lid ? { lid: lidFor(digits) } : {}),
      };
      attendees.set(attendee.id, attendee);
      return attendee;
    },
    selfAttendee(account) {
      const existing = account.selfAttendeeId ? attendees.get(account.selfAttendeeId) : undefined;
      if (existing) return existing;
      const self: SandboxAttendee = {
        id: unipileId(),
        accountId: account.id,
        phone: account.phone ?? "",
        name: account.name,
        isSelf: true,
      };
      attendees.set(self.id, self);
      account.selfAttendeeId = self.id;
      return self;
    },
    directChat(accountId, contact) {
      const providerId = phoneJid(contact.phone);
      for (const chat of chats.values()) {
        if (chat.accountId === accountId && chat.providerId === providerId) return chat;
      }
      const chat: SandboxChat = {
        id: unipileId(),
        accountId,
        providerId,
        type: 0,
        name: contact.name,
        attendeeIds: [contact.id],
        timestamp: store.nextTimestamp(),
        unreadCount: 0,
        archived: 0,
        mutedUntil: null,
      };
      chats.set(chat.id, chat);
      return chat;
    },
    chatMessages: (chatId) => byChat.get(chatId) ?? [],
    addMessage(message) {
      messages.set(message.id, message);
      const list = byChat.get(message.chatId);
      if (list) list.push(message);
      else byChat.set(message.chatId, [message]);
    },
    deleteAccount(id) {
      accounts.delete(id);
      for (const [key, chat] of chats) if (chat.accountId === id) (chats.delete(key), byChat.delete(key));
      for (const [key, m] of messages) if (m.accountId === id) messages.delete(key);
      for (const [key, a] of attendees) if (a.accountId === id) attendees.delete(key);
    },
  };
  return store;
}

const found = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw notFound(what);
  return value;
};

/** A stable fake linked id per phone, so one contact keeps one `@lid`. */
const lidFor = (digits: string): string => {
  let hash = 0n;
  for (const ch of digits) hash = (hash * 131n + BigInt(ch.charCodeAt(0))) % 1_000_000_000_000_000n;
  return `${(hash + 100_000_000_000_000n).toString().slice(0, 15)}@lid`;
};
