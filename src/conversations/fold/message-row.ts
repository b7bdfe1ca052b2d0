/**
 * @module conversations/fold/message-row
 * A message row as its events make it, in any order: a reaction, edit, read
 * or deletion that arrives before its message makes a hidden stub that the
 * message fills when it arrives; our own send is a pending row that Unipile's
 * answer and its echo merge into, whichever comes first. Pure.
 */
import type { ConversationRow, MessageFields, MessageRow, MessageStatus, MessagingChange, Reaction } from "../model";

const STATUS_RANK: Record<MessageStatus, number> = { failed: -1, received: 0, pending: 0, sent: 1, delivered: 2, read: 3 };
export const laterStatus = (a: MessageStatus, b: MessageStatus): MessageStatus => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a);

export const placed = (conv: ConversationRow) => ({ conversationId: conv.id, unipileChatId: conv.unipileChatId });

function senderNameFrom(conv: ConversationRow, m: Pick<MessageFields, "senderAttendeeId" | "senderProviderId">): string | null {
  const match = conv.attendees.find(
    (a) => (m.senderAttendeeId !== null && a.attendeeId === m.senderAttendeeId) || (m.senderProviderId !== null && a.providerId === m.senderProviderId),
  );
  return match?.name ?? null;
}

/** What nothing has happened to yet: no failure, edit, deletion, read or delivery. */
const UNTOUCHED = {
  failure: null,
  edited: false,
  editedAt: null,
  deleted: false,
  deletedAt: null,
  seen: false,
  deliveredAt: null,
  readAt: null,
} as const satisfies Partial<MessageRow>;

export function stub(m: MessageFields, conv: ConversationRow, id: string, unipileAccountId: string, at: Date, recordedAt: Date): MessageRow {
  return {
    id,
    ...placed(conv),
    unipileAccountId,
    unipileMessageId: m.unipileMessageId,
    providerMessageId: m.providerMessageId,
    sendId: null,
    senderAttendeeId: m.senderAttendeeId,
    senderProviderId: m.senderProviderId,
    senderName: m.senderName ?? senderNameFrom(conv, m),
    senderPhone: m.senderPhone,
    text: m.text,
    attachments: m.attachments,
    quoted: m.quoted,
    reactions: m.reactions ?? [],
    sentAt: at,
    isSender: m.isSender,
    status: m.isSender ? "sent" : "received",
    ...UNTOUCHED,
    arrived: false,
    updatedAt: recordedAt,
  };
}

/** The message itself arrives (webhook, poll or fetch): it fills the row, keeping what later events already did. */
export function arrive(before: MessageRow | null, m: MessageFields, conv: ConversationRow, id: string, unipileAccountId: string, recordedAt: Date): MessageRow {
  const base = before ?? stub(m, conv, id, unipileAccountId, m.sentAt, recordedAt);
  const flags = m.flags;
  const deleted = base.deleted || (flags?.deleted ?? false);
  const edited = base.edited || (flags?.edited ?? false);
  const ownStatus: MessageStatus = flags ? (flags.seen ? "read" : flags.delivered ? "delivered" : "sent") : "sent";
  const status: MessageStatus = m.isSender ? laterStatus(base.status === "received" || base.status === "failed" ? "sent" : base.status, ownStatus) : "received";
  const seenByUs = !m.isSender && (flags?.seen ?? false);
  return {
    ...base,
    ...placed(conv),
    unipileMessageId: m.unipileMessageId,
    providerMessageId: m.providerMessageId ?? base.providerMessageId,
    senderAttendeeId: m.senderAttendeeId ?? base.senderAttendeeId,
    senderProviderId: m.senderProviderId ?? base.senderProviderId,
    senderName: m.senderName ?? base.senderName ?? senderNameFrom(conv, m),
    senderPhone: m.senderPhone ?? base.senderPhone,
    text: deleted ? null : base.edited ? base.text : (m.text ?? base.text),
    attachments: deleted ? [] : m.attachments.length > 0 ? keepFileNames(m.attachments, base.attachments) : base.attachments,
    quoted: m.quoted ? { ...m.quoted, unipileMessageId: base.quoted?.unipileMessageId ?? m.quoted.unipileMessageId } : base.quoted,
    reactions: base.reactions.length > 0 || m.reactions === null ? base.reactions : m.reactions,
    sentAt: m.sentAt,
    isSender: m.isSender,
    status,
    failure: status === "failed" ? base.failure : null,
    edited,
    deleted,
    seen: base.seen || seenByUs,
    arrived: true,
    updatedAt: recordedAt,
  };
}

export function followUp(row: MessageRow, action: Extract<MessagingChange, { kind: "followup" }>["action"], at: Date, recordedAt: Date): MessageRow {
  const next = { ...row, updatedAt: recordedAt };
  switch (action.type) {
    case "edited":
      return row.deleted ? next : { ...next, text: action.text ?? row.text, edited: true, editedAt: at };
    case "deleted":
      return { ...next, deleted: true, deletedAt: row.deletedAt ?? at, text: null, attachments: [] };
    case "reaction":
      return { ...next, reactions: react(row.reactions, action.reaction) };
    case "read":
      if (!row.isSender) return { ...next, seen: true };
      return { ...next, status: laterStatus(row.status, "read"), readAt: row.readAt ?? at, deliveredAt: row.deliveredAt ?? at };
    case "delivered":
      if (!row.isSender) return next;
      return { ...next, status: laterStatus(row.status, "delivered"), deliveredAt: row.deliveredAt ?? at };
    default: {
      const unexpected: never = action;
      return unexpected;
    }
  }
}

/**
 * Unipile names no file for images, videos and voice notes: the names we sent them under (the pending
 * row's, in the same order) stay on the message Unipile echoes.
 */
function keepFileNames<A extends { fileName: string | null }>(incoming: A[], known: readonly { fileName: string | null }[]): A[] {
  if (known.length !== incoming.length) return incoming;
  return incoming.map((a, i) => (a.fileName === null && known[i]?.fileName ? { ...a, fileName: known[i].fileName } : a));
}

/** One reaction per person; an empty value takes it back. */
function react(reactions: Reaction[], reaction: Reaction): Reaction[] {
  const others = reactions.filter((r) => r.senderId !== reaction.senderId);
  return reaction.value === "" ? others : [...others, reaction];
}

export function pendingSend(change: Extract<MessagingChange, { kind: "send_requested" }>, conv: ConversationRow | null, recordedAt: Date): MessageRow {
  return {
    id: change.sendId,
    conversationId: conv?.id ?? null,
    unipileChatId: change.unipileChatId,
    unipileAccountId: change.unipileAccountId,
    unipileMessageId: null,
    providerMessageId: null,
    sendId: change.sendId,
    senderAttendeeId: null,
    senderProviderId: null,
    senderName: null,
    senderPhone: null,
    text: change.text === "" ? null : change.text,
    attachments: change.attachments,
    quoted: change.quoteUnipileMessageId ? { unipileMessageId: change.quoteUnipileMessageId, providerMessageId: null, senderProviderId: null, text: null } : null,
    reactions: [],
    sentAt: change.at,
    isSender: true,
    status: "pending",
    ...UNTOUCHED,
    arrived: true,
    updatedAt: recordedAt,
  };
}

/** Unipile accepted our send: the pending row becomes the message Unipile knows, merged with its echo if that came first. */
export function mergeSend(pending: MessageRow | null, echo: MessageRow | null, id: string, unipileMessageId: string, conv: ConversationRow, recordedAt: Date): MessageRow | null {
  if (echo) {
    // The echo may be a stub (a delivery receipt overtook it): the pending row's content and time stand in.
    const fill = !echo.arrived && pending ? { text: echo.text ?? pending.text, sentAt: pending.sentAt, arrived: true } : {};
    return {
      ...echo,
      ...fill,
      id,
      sendId: pending?.sendId ?? echo.sendId,
      status: laterStatus(echo.status, "sent"),
      quoted: echo.quoted && pending?.quoted ? { ...echo.quoted, unipileMessageId: pending.quoted.unipileMessageId } : (echo.quoted ?? pending?.quoted ?? null),
      attachments: echo.attachments.length > 0 ? keepFileNames(echo.attachments, pending?.attachments ?? []) : (pending?.attachments ?? []),
      updatedAt: recordedAt,
    };
  }
  if (!pending) return null;
  return { ...pending, id, ...placed(conv), unipileMessageId, status: laterStatus(pending.status, "sent"), updatedAt: recordedAt };
}
