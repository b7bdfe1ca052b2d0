/**
 * @module conversations/queries
 * Reads of the conversations and messages projection. A user only ever sees
 * conversations (and their messages) of accounts they own. Lists are keyset
 * pages on indexed columns, newest first: the cursor holds the last row's
 * (time, id), so a page costs the same at any depth and rows arriving between
 * two pages are never served twice.
 */
import type { Queryable } from "../db/client";
import { createRowMapper } from "../projections/row-projection";
import type { ConversationRow, MessageRow } from "./model";
import { conversations, messages } from "./tables";

const conversationMapper = createRowMapper(conversations);
const messageMapper = createRowMapper(messages);
type RawRow = Record<string, unknown>;
const toConversation = (raw: RawRow): ConversationRow => conversationMapper.fromDb(raw);
const toMessage = (raw: RawRow): MessageRow => messageMapper.fromDb(raw);

/** A position in a newest-first list: the last served row's time and id. */
export interface Keyset {
  at: Date;
  id: string;
}

export interface Page<T> {
  items: T[];
  next: Keyset | null;
}

function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => Keyset): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? keyOf(last) : null };
}

export async function listConversations(
  sql: Queryable,
  query: { userId: string; accountId?: string; after?: Keyset | null; limit: number },
): Promise<Page<ConversationRow>> {
  const { userId, accountId, after, limit } = query;
  const rows = await sql<RawRow[]>`
    select * from conversations
    where ${accountId ? sql`account_id = ${accountId} and user_id = ${userId}` : sql`user_id = ${userId}`}
      ${after ? sql`and (last_activity_at, id) < (${after.at}, ${after.id}::uuid)` : sql``}
    -- nulls last, as the index is built (drizzle desc()): a bare desc means nulls first and cannot walk it.
    order by last_activity_at desc nulls last, id desc nulls last
    limit ${limit + 1}
  `;
  return pageOf(rows.map(toConversation), limit, (c) => ({ at: c.lastActivityAt, id: c.id }));
}

export async function getConversationForUser(sql: Queryable, conversationId: string, userId: string): Promise<ConversationRow | null> {
  const rows = await sql<RawRow[]>`select * from conversations where id = ${conversationId} and user_id = ${userId}`;
  return rows[0] ? toConversation(rows[0]) : null;
}

/** The account's 1:1 conversation with this WhatsApp id, if the log has one. */
export async function findConversationByProviderId(sql: Queryable, unipileAccountId: string, providerChatId: string): Promise<ConversationRow | null> {
  const rows = await sql<RawRow[]>`
    select * from conversations where unipile_account_id = ${unipileAccountId} and provider_chat_id = ${providerChatId}
    order by last_activity_at desc limit 1
  `;
  return rows[0] ? toConversation(rows[0]) : null;
}

/** A message with our id of the message it quotes, when that one is in the conversation. */
export type ListedMessage = MessageRow & { quotedMessageId: string | null };

/**
 * A conversation's messages, newest first. A reply names the quoted message
 * by its WhatsApp id only; the page looks ours up (one index probe per reply),
 * so it is found whichever of the two arrived first.
 */
export async function listMessages(
  sql: Queryable,
  query: { conversationId: string; after?: Keyset | null; limit: number },
): Promise<Page<ListedMessage>> {
  const { conversationId, after, limit } = query;
  const rows = await sql<RawRow[]>`
    select m.*, q.id as quoted_message_id from (
      select * from messages
      where conversation_id = ${conversationId} and arrived
        ${after ? sql`and (sent_at, id) < (${after.at}, ${after.id}::uuid)` : sql``}
      order by sent_at desc nulls last, id desc nulls last
      limit ${limit + 1}
    ) m
    left join lateral (
      select q.id from messages q
      where m.quoted is not null and q.conversation_id = m.conversation_id
        and (q.provider_message_id = m.quoted->>'providerMessageId' or q.unipile_message_id = m.quoted->>'unipileMessageId') and q.arrived
      limit 1
    ) q on true
    order by m.sent_at desc nulls last, m.id desc nulls last
  `;
  const listed = rows.map((raw) => ({ ...toMessage(raw), quotedMessageId: (raw.quoted_message_id as string | null) ?? null }));
  return pageOf(listed, limit, (m) => ({ at: m.sentAt, id: m.id }));
}

/** A message with its conversation, when the user owns the conversation. */
export async function getMessageForUser(
  sql: Queryable,
  messageId: string,
  userId: string,
): Promise<{ message: MessageRow; conversation: ConversationRow } | null> {
  const rows = await sql<RawRow[]>`
    select m.* from messages m join conversations c on c.id = m.conversation_id
    where m.id = ${messageId} and c.user_id = ${userId} and m.arrived
  `;
  const message = rows[0] ? toMessage(rows[0]) : null;
  if (!message?.conversationId) return null;
  const conversation = await getConversationForUser(sql, message.conversationId, userId);
  return conversation ? { message, conversation } : null;
}

/** A message of a conversation, by our id or by Unipile's. */
export async function findMessageInConversation(sql: Queryable, conversationId: string, id: string): Promise<MessageRow | null> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
  const rows = await sql<RawRow[]>`
    select * from messages
    where conversation_id = ${conversationId} and arrived
      and ${isUuid ? sql`id = ${id}::uuid` : sql`unipile_message_id = ${id}`}
  `;
  return rows[0] ? toMessage(rows[0]) : null;
}
