/**
 * @module conversations/projection/counts
 * What "unread", "message count", "newest message" and "preview" mean, once:
 * the TypeScript arithmetic the projection moves a batch's conversations by,
 * the from-scratch summary the auditors fold in memory, and their SQL twins
 * for the rows a batch does not hold (a moved read mark's older messages, a
 * recount). A rule changes here, in both languages side by side.
 */
import type { TransactionSql } from "../../db/client";
import type { MessagingState } from "../fold/batch";
import type { ConversationRow, MessageRow } from "../model";

/**
 * Whether the account has read a message. A read mark is kept on the
 * conversation alone (`readUpTo`): a message from the contact sent up to it is
 * read, without the mark writing the message. `seen` on the row says only
 * what concerns that one message (Unipile's flag, a read event naming it).
 */
export const seenBy = (m: Pick<MessageRow, "seen" | "isSender" | "sentAt">, readUpTo: Date | null): boolean =>
  m.seen || (!m.isSender && readUpTo !== null && m.sentAt <= readUpTo);

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

/** The tables the SQL twins read: the live ones, or a rebuild's scratch tables. */
export interface CountTables {
  conversations: string;
  messages: string;
}

/**
 * `applyReadOutside`'s SQL half: the unread messages from the contact that a
 * moved read mark covers, outside the batch (a range of the (conversation,
 * time) index, both ends in the index condition). They are counted, not
 * written (see `seenBy`).
 */
export async function readOutsideFromTable(tx: TransactionSql, t: CountTables, ranges: readonly ReadRange[]) {
  if (ranges.length === 0) return [];
  return tx<{ conversationId: string; id: string }[]>`
    select r.conversation_id as "conversationId", m.id
    from unnest(
      ${ranges.map((r) => r.conversationId)}::uuid[],
      ${ranges.map((r) => r.after?.toISOString() ?? null)}::timestamptz[],
      ${ranges.map((r) => r.upTo.toISOString())}::timestamptz[]
    ) as r(conversation_id, after, up_to)
    join ${tx(t.messages)} m on m.conversation_id = r.conversation_id
      and m.sent_at > coalesce(r.after, '-infinity') and m.sent_at <= r.up_to
    where m.arrived and not m.is_sender and not m.seen and not m.deleted
  `;
}

/**
 * Counts, last message and activity of conversations, from their messages,
 * for the few a batch cannot settle by itself (`applyCounts`). The newest
 * message comes from the (conversation, sent_at desc, id desc) index; the
 * counts read the conversation's messages once.
 */
export async function recountFromTable(tx: TransactionSql, t: CountTables, ids: string[]) {
  await tx`
    update ${tx(t.conversations)} c set
      message_count = s.total,
      unread_count = s.unread,
      last_message_id = l.id,
      last_message_at = l.sent_at,
      last_message_preview = l.preview,
      last_activity_at = coalesce(l.sent_at, c.created_at)
    from unnest(${ids}::uuid[]) as x(id)
    join ${tx(t.conversations)} cv on cv.id = x.id
    cross join lateral (
      select count(*)::int as total,
             (count(*) filter (where not m.is_sender and not m.seen and not m.deleted
                                and (cv.read_up_to is null or m.sent_at > cv.read_up_to)))::int as unread
      from ${tx(t.messages)} m where m.conversation_id = x.id and m.arrived
    ) s
    left join lateral (
      select m.id, m.sent_at,
             case when m.deleted then 'This message was deleted'
                  else coalesce(nullif(left(m.text, 200), ''), '[' || coalesce(m.attachments->0->>'type', 'message') || ']') end as preview
      from ${tx(t.messages)} m where m.conversation_id = x.id and m.arrived
      order by m.sent_at desc nulls last, m.id desc nulls last limit 1
    ) l on true
    where c.id = x.id
  `;
}
