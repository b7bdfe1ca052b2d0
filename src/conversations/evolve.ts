/**
 * @module conversations/evolve
 * The conversations and messages as their events make them: one pure fold
 * over a batch of changes, used by the projection (live, rebuild, verify) and
 * by the auditors' point-in-time views. Facts may come in any order: a
 * reaction, edit, read or deletion that arrives before its message makes a
 * hidden stub that the message fills when it arrives; the echo of our own
 * send and Unipile's answer to it merge into one message, whichever comes
 * first. Pure.
 */
import type { MessagingIds } from "../unipile/ingest/ids";
import type { Attendee, ChatFields, ConversationRow, MessageFields, MessageRow, MessageStatus, MessagingChange, Reaction } from "./model";
import { mergeAttendees } from "./changes";

export interface Owner {
  accountId: string;
  userId: string;
}

/** The rows a batch may touch, by key; `null` means known not to exist (or deleted by the batch). */
export interface MessagingState {
  /** By Unipile chat id. */
  conversations: Map<string, ConversationRow | null>;
  /** By our message id. */
  messages: Map<string, MessageRow | null>;
  /** By Unipile account id. */
  owners: Map<string, Owner | null>;
  /**
   * Our id of a Unipile message whose row is not `ids.message(unipile id)`:
   * our own sends keep their send id from request to delivery. The writer
   * loads the known ones; the fold adds those it merges.
   */
  aliases?: Map<string, string>;
}

/** Our id of a Unipile message: its send's id for our own sends, else derived from Unipile's id. */
export const messageKey = (state: Pick<MessagingState, "aliases">, ids: MessagingIds, unipileMessageId: string) =>
  state.aliases?.get(unipileMessageId) ?? ids.message(unipileMessageId);

/** What the rows of a batch cannot say alone, for the writer to apply to rows outside the batch. */
export interface MessagingEffects {
  /** Conversations of the account get this owner. */
  owners: { unipileAccountId: string; owner: Owner }[];
}

/**
 * Whether the account has read a message. A read mark is kept on the
 * conversation alone (`readUpTo`): a message from the contact sent up to it is
 * read, without the mark writing the message. `seen` on the row says only
 * what concerns that one message (Unipile's flag, a read event naming it).
 */
export const seenBy = (m: Pick<MessageRow, "seen" | "isSender" | "sentAt">, readUpTo: Date | null): boolean =>
  m.seen || (!m.isSender && readUpTo !== null && m.sentAt <= readUpTo);

const STATUS_RANK: Record<MessageStatus, number> = { failed: -1, received: 0, pending: 0, sent: 1, delivered: 2, read: 3 };
const laterStatus = (a: MessageStatus, b: MessageStatus): MessageStatus => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a);
const laterDate = (a: Date | null, b: Date) => (a && a >= b ? a : b);

/** The keys a change needs loaded: conversations by Unipile chat id, messages by id, owners by Unipile account id. */
export function keysOf(change: MessagingChange, ids: MessagingIds) {
  const chats: string[] = [];
  const messages: string[] = [];
  const owners: string[] = [change.unipileAccountId];
  switch (change.kind) {
    case "owner":
      break;
    case "chat":
    case "marked_read":
      chats.push(change.unipileChatId);
      break;
    case "arrived":
    case "followup":
      chats.push(change.unipileChatId);
      messages.push(ids.message(change.message.unipileMessageId));
      break;
    case "send_requested":
      if (change.unipileChatId) chats.push(change.unipileChatId);
      messages.push(change.sendId);
      break;
    case "send_succeeded":
      if (change.unipileChatId) chats.push(change.unipileChatId);
      messages.push(change.sendId);
      if (change.unipileMessageId) messages.push(ids.message(change.unipileMessageId));
      break;
    case "send_failed":
      messages.push(change.sendId);
      break;
  }
  return { chats, messages, owners };
}

/** Applies changes in log order to `state` (mutated) and returns the effects. `recordedAt` is each change's log time. */
export function foldMessaging(
  state: MessagingState,
  changes: readonly { change: MessagingChange; recordedAt: Date }[],
  ids: MessagingIds,
): MessagingEffects {
  const effects: MessagingEffects = { owners: [] };
  for (const { change, recordedAt } of changes) applyChange(state, effects, change, recordedAt, ids);
  return effects;
}

function applyChange(state: MessagingState, effects: MessagingEffects, change: MessagingChange, recordedAt: Date, ids: MessagingIds) {
  if (change.kind === "owner") {
    const owner = { accountId: change.accountId, userId: change.userId };
    state.owners.set(change.unipileAccountId, owner);
    effects.owners.push({ unipileAccountId: change.unipileAccountId, owner });
    for (const [key, row] of state.conversations) {
      if (row && row.unipileAccountId === change.unipileAccountId && row.userId === null) {
        state.conversations.set(key, { ...row, ...owner });
      }
    }
    return;
  }
  const conversation = (chatId: string) => {
    return state.conversations.get(chatId) ?? blankConversation(chatId, change.unipileAccountId, state.owners.get(change.unipileAccountId) ?? null, recordedAt, ids);
  };
  const save = (row: ConversationRow) => state.conversations.set(row.unipileChatId, { ...row, updatedAt: recordedAt });
  /** The account has read the chat up to `upTo`: its messages are not written (see `seenBy`). */
  const markRead = (row: ConversationRow, upTo: Date) => ({ ...row, readUpTo: laterDate(row.readUpTo, upTo) });

  switch (change.kind) {
    case "chat":
      save(withChat(conversation(change.unipileChatId), change.chat));
      return;
    case "marked_read":
      save(markRead(conversation(change.unipileChatId), change.at));
      return;
    case "arrived": {
      let conv = conversation(change.unipileChatId);
      const id = messageKey(state, ids, change.message.unipileMessageId);
      const before = state.messages.get(id) ?? null;
      const row = arrive(before, change.message, conv, id, change.unipileAccountId, recordedAt);
      state.messages.set(id, row);
      // Writing in a chat (from the phone or CommSync) reads it up to the message's time at Unipile, as
      // WhatsApp does: also when the row already arrived, since the echo of our send may come after
      // Unipile's answer merged it at the request's time (see `send_succeeded`).
      if (row.isSender) conv = markRead(conv, row.sentAt);
      save(conv);
      return;
    }
    case "followup": {
      let conv = conversation(change.unipileChatId);
      const id = messageKey(state, ids, change.message.unipileMessageId);
      const before = state.messages.get(id) ?? stub(change.message, conv, id, change.unipileAccountId, change.at, recordedAt);
      const row = followUp(before, change.action, change.at, recordedAt);
      state.messages.set(id, row);
      if (change.action.type === "read" && !row.isSender) conv = markRead(conv, change.at);
      save(conv);
      return;
    }
    case "send_requested": {
      // Answering from CommSync reads the chat, like writing from the phone.
      const conv = change.unipileChatId ? markRead(conversation(change.unipileChatId), change.at) : null;
      if (conv) save(conv);
      const earlier = state.messages.get(change.sendId);
      // A new attempt of a refused send is pending again; a send already merged into Unipile's message is done.
      if (earlier) state.messages.set(change.sendId, earlier.status === "failed" ? { ...earlier, status: "pending", failure: null, updatedAt: recordedAt } : earlier);
      else if (earlier === undefined) state.messages.set(change.sendId, pendingSend(change, conv, recordedAt));
      return;
    }
    case "send_succeeded": {
      let conv = change.unipileChatId ? conversation(change.unipileChatId) : null;
      const pending = state.messages.get(change.sendId) ?? null;
      let confirmed: MessageRow | null;
      if (!change.unipileMessageId || !conv) {
        confirmed = pending && { ...pending, ...(conv ? placed(conv) : {}), status: laterStatus(pending.status, "sent"), updatedAt: recordedAt };
        if (confirmed) state.messages.set(change.sendId, confirmed);
      } else {
        // The message keeps the send's id (the pending row's, the answer's): an echo that came first,
        // under the id derived from Unipile's, merges into it, and later facts find it by the alias.
        const echoId = messageKey(state, ids, change.unipileMessageId);
        const echo = echoId === change.sendId ? null : (state.messages.get(echoId) ?? null);
        const id = pending ? change.sendId : echoId;
        confirmed = mergeSend(pending, echo, id, change.unipileMessageId, conv, recordedAt);
        if (confirmed) state.messages.set(id, confirmed);
        if (pending && echo) state.messages.set(echoId, null);
        if (pending) (state.aliases ??= new Map()).set(change.unipileMessageId, change.sendId);
      }
      // The reply reads the chat up to its time. Unipile's answer carries none: the row's is Unipile's when
      // the echo came first, else the request's; an echo coming later moves the mark on (see `arrived`).
      if (conv && confirmed?.arrived) conv = markRead(conv, confirmed.sentAt);
      if (conv) save(conv);
      return;
    }
    case "send_failed": {
      const pending = state.messages.get(change.sendId);
      if (pending && pending.status === "pending") {
        state.messages.set(change.sendId, { ...pending, status: "failed", failure: change.failure, updatedAt: recordedAt });
      }
      return;
    }
    default: {
      const unexpected: never = change;
      return unexpected;
    }
  }
}

function blankConversation(unipileChatId: string, unipileAccountId: string, owner: Owner | null, at: Date, ids: MessagingIds): ConversationRow {
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
function withChat(row: ConversationRow, chat: ChatFields): ConversationRow {
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

const placed = (conv: ConversationRow) => ({ conversationId: conv.id, unipileChatId: conv.unipileChatId });

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

function stub(m: MessageFields, conv: ConversationRow, id: string, unipileAccountId: string, at: Date, recordedAt: Date): MessageRow {
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
function arrive(before: MessageRow | null, m: MessageFields, conv: ConversationRow, id: string, unipileAccountId: string, recordedAt: Date): MessageRow {
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

function followUp(row: MessageRow, action: Extract<MessagingChange, { kind: "followup" }>["action"], at: Date, recordedAt: Date): MessageRow {
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

function pendingSend(change: Extract<MessagingChange, { kind: "send_requested" }>, conv: ConversationRow | null, recordedAt: Date): MessageRow {
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
function mergeSend(pending: MessageRow | null, echo: MessageRow | null, id: string, unipileMessageId: string, conv: ConversationRow, recordedAt: Date): MessageRow | null {
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

/** The preview of a message in its conversation's list (the projection computes the same in SQL). */
export function previewOf(message: MessageRow): string {
  if (message.deleted) return "This message was deleted";
  const text = message.text === null ? "" : [...message.text].slice(0, 200).join("");
  return text !== "" ? text : `[${message.attachments[0]?.type ?? "message"}]`;
}

const newer = (a: MessageRow, b: MessageRow) => a.sentAt > b.sentAt || (a.sentAt.getTime() === b.sentAt.getTime() && a.id > b.id);

/**
 * A conversation's counts, newest message and activity from all its messages:
 * what the projection's recount computes in SQL, for replays held in memory
 * (the auditors' point-in-time views).
 */
export function summarizeConversation(conversation: ConversationRow, messages: Iterable<MessageRow>): ConversationRow {
  let total = 0;
  let unread = 0;
  let last: MessageRow | null = null;
  for (const m of messages) {
    if (m.conversationId !== conversation.id || !m.arrived) continue;
    total++;
    if (!m.isSender && !m.deleted && !seenBy(m, conversation.readUpTo)) unread++;
    if (!last || newer(m, last)) last = m;
  }
  return {
    ...conversation,
    messageCount: total,
    unreadCount: unread,
    lastMessageId: last?.id ?? null,
    lastMessageAt: last?.sentAt ?? null,
    lastMessagePreview: last ? previewOf(last) : null,
    lastActivityAt: last?.sentAt ?? conversation.createdAt,
  };
}

/** What a message adds to its conversation's counts, the conversation being read up to `readUpTo`. */
const contribution = (m: MessageRow | null, readUpTo: Date | null) => ({
  total: m?.arrived ? 1 : 0,
  unread: m?.arrived && !m.isSender && !m.deleted && !seenBy(m, readUpTo) ? 1 : 0,
});

/** The batch's conversations by our id: their chat id, the key `state.conversations` uses. */
export function chatsByConversation(state: MessagingState): Map<string, string> {
  const chatOf = new Map<string, string>();
  for (const [chatId, row] of state.conversations) if (row) chatOf.set(row.id, chatId);
  return chatOf;
}

/**
 * Messages from the contact outside the batch, found in a moved read range
 * (`readRanges`), are read now: each lowers its conversation's unread count.
 * Those in the batch were counted by `applyCounts` and are skipped.
 */
export function applyReadOutside(state: MessagingState, found: readonly { conversationId: string; id: string }[]) {
  const chatOf = chatsByConversation(state);
  for (const { conversationId, id } of found) {
    if (state.messages.has(id)) continue;
    const chatId = chatOf.get(conversationId);
    const row = chatId === undefined ? null : state.conversations.get(chatId);
    if (chatId !== undefined && row) state.conversations.set(chatId, { ...row, unreadCount: row.unreadCount - 1 });
  }
}

/** A conversation's read mark moved forward in a batch: from `after` (null: none) to `upTo`. */
export interface ReadRange {
  conversationId: string;
  after: Date | null;
  upTo: Date;
}

/**
 * The conversations whose read mark the batch moved: their messages outside
 * the batch sent in the range are read now (`applyCounts` settles those in
 * the batch; the writer counts the others in the table).
 */
export function readRanges(state: MessagingState, before: ReadonlyMap<string, ConversationRow>): ReadRange[] {
  const ranges: ReadRange[] = [];
  for (const [chatId, row] of state.conversations) {
    if (!row?.readUpTo) continue;
    const after = before.get(chatId)?.readUpTo ?? null;
    if (after === null || row.readUpTo > after) ranges.push({ conversationId: row.id, after, upTo: row.readUpTo });
  }
  return ranges;
}

/**
 * Moves the counts, newest message and activity of the batch's conversations
 * by what the batch did to their messages (`before`: the rows as loaded),
 * instead of counting every message again. Returns the ids of conversations
 * this cannot settle (their newest message went away or moved back, or the
 * conversation is not in the batch): the writer recounts those from the
 * table. `summarizeConversation` is the from-scratch equivalent.
 */
export function applyCounts(
  state: MessagingState,
  before: ReadonlyMap<string, MessageRow>,
  conversationsBefore: ReadonlyMap<string, ConversationRow>,
): Set<string> {
  const recount = new Set<string>();
  const chatOf = chatsByConversation(state);
  const markBefore = new Map<string, Date | null>();
  for (const row of conversationsBefore.values()) markBefore.set(row.id, row.readUpTo);
  for (const [id, row] of state.messages) {
    const stored = before.get(id) ?? null;
    // A send starting a chat is placed in its conversation once Unipile answers: before, it counted nowhere.
    const moved = stored !== null && row !== null && stored.conversationId !== row.conversationId;
    if (moved && stored.conversationId) recount.add(stored.conversationId);
    const prev = moved ? null : stored;
    const conversationId = row?.conversationId ?? prev?.conversationId;
    if (!conversationId) continue;
    const chatId = chatOf.get(conversationId);
    const conv = chatId ? state.conversations.get(chatId) : null;
    if (row === prev) {
      // Unchanged, but the conversation's read mark may have moved past it.
      if (!conv || !chatId || !row) continue;
      const read = contribution(row, markBefore.get(conversationId) ?? null).unread - contribution(row, conv.readUpTo).unread;
      if (read > 0) state.conversations.set(chatId, { ...conv, unreadCount: conv.unreadCount - read });
      continue;
    }
    if (!conv || !chatId) {
      recount.add(conversationId);
      continue;
    }
    const [was, is] = [contribution(prev, markBefore.get(conversationId) ?? null), contribution(row, conv.readUpTo)];
    let next: ConversationRow = { ...conv, messageCount: conv.messageCount + is.total - was.total, unreadCount: conv.unreadCount + is.unread - was.unread };
    const wasLast = prev !== null && conv.lastMessageId === prev.id;
    if (wasLast && (!row?.arrived || row.id !== prev.id || row.sentAt < prev.sentAt)) recount.add(conversationId);
    else if (row?.arrived && (wasLast || !conv.lastMessageAt || newer(row, { sentAt: conv.lastMessageAt, id: conv.lastMessageId ?? "" } as MessageRow))) {
      next = { ...next, lastMessageId: row.id, lastMessageAt: row.sentAt, lastMessagePreview: previewOf(row), lastActivityAt: row.sentAt };
    }
    state.conversations.set(chatId, next);
  }
  return recount;
}
