/**
 * @module console/model
 * The answers the console reads, as the service's views define them
 * (accounts/views, conversations/views, audit/schemas). Types only.
 */
import type { AccountStatus } from "../../accounts/status-mapping";

// The statuses are the service's own list (a pure module the bundle can take).
export { ACCOUNT_STATUSES, type AccountStatus } from "../../accounts/status-mapping";

export interface Me {
  userId: string;
  roles: string[];
}

export interface SessionInfo {
  mode: "development" | "token";
  token: string | null;
  sandbox: boolean;
}

export interface Account {
  accountId: string;
  userId: string;
  provider: "whatsapp";
  accountIdentifier: string;
  status: AccountStatus;
  connected: boolean;
  unipileStatus: string | null;
  statusReason: string | null;
  phoneNumber: string | null;
  name: string | null;
  qrExpiresAt: string | null;
  createdAt: string | null;
  updatedAt: string;
  connectedAt: string | null;
  lastSync: string | null;
  disconnectedAt: string | null;
  sync: {
    state: "not_started" | "backfilling" | "live";
    backfill: { state: "running" | "done"; chatsDone: number; messagesSeen: number; messagesImported: number; startedAt: string | null; completedAt: string | null } | null;
  };
}

export interface Connection {
  accountId: string;
  accountIdentifier: string;
  status: "pending";
  qrCode: string;
  qrSvg: string;
  pairingCode: string | null;
  expiresAt: string;
}

export interface Attendee {
  attendeeId: string | null;
  name: string | null;
  providerId: string | null;
  phone: string | null;
}

export interface Conversation {
  id: string;
  accountId: string | null;
  name: string | null;
  type: "single" | "group" | "channel";
  attendees: Attendee[];
  lastActivityAt: string;
  lastMessageAt: string | null;
  lastMessagePreview: string | null;
  unreadCount: number;
  messageCount: number;
}

export type MessageStatus = "received" | "pending" | "sent" | "delivered" | "read" | "failed";

export interface Attachment {
  id: string | null;
  type: string | null;
  fileName: string | null;
  mimetype: string | null;
  size: number | null;
  unavailable: boolean;
}

export interface Message {
  id: string;
  conversationId: string | null;
  sendId: string | null;
  sender: { attendeeId: string | null; providerId: string | null; name: string | null; phone: string | null };
  text: string | null;
  attachments: Attachment[];
  quoted: { messageId: string | null; text: string | null } | null;
  reactions: { value: string; senderName: string | null; isSender: boolean }[];
  sentAt: string;
  isSender: boolean;
  status: MessageStatus;
  failure: { reason: string; detail: string | null } | null;
  edited: boolean;
  deleted: boolean;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SendAnswer {
  success: true;
  messageId: string;
  conversationId: string | null;
  sendId: string;
  status: string;
  replayed: boolean;
  message: Message | null;
}

export interface AuditEvent {
  globalPosition: number;
  transactionId: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt?: string;
}

export interface AuditEventPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export type AccountState = Record<string, unknown>;
export type ConversationState = Record<string, unknown>;

/** A history import's progress, as the stream's `account` events carry it (live/import-progress). */
export interface ImportProgress {
  phase: string | null;
  chatsDone: number;
  /** Known once every chat is listed; null before. */
  chatsTotal: number | null;
  messagesSeen: number;
  /** Null: Unipile does not say how many messages an account has. */
  messagesTotal: number | null;
  done: boolean;
}

/** What `/api/events/stream` sends. */
export type LiveEvent =
  | { event: "account"; id: string; data: { type: string; account: Account; progress?: ImportProgress } }
  | { event: "conversations"; id: string; data: { type: "ConversationsChanged"; reason: string; accountId: string | null; refetch: string } }
  | { event: "conversation"; id: string; data: { type: string; conversation: Conversation } }
  | { event: "message"; id: string; data: { type: string; message: Message; conversation: Conversation } };
