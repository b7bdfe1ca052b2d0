/**
 * @module messaging/messaging-projection
 * Conversations and messages from the log. A batch loads every row its
 * events touch in three queries, folds the events with the pure
 * `foldMessaging`, moves the conversations' counts, preview and activity by
 * what the batch did to their messages (`applyCounts`), applies what rows
 * outside the batch need (read marks, owners), and writes each changed row
 * once. The rare conversation whose newest message went away is recounted
 * from the table.
 */
import type { TransactionSql } from "../db/client";
import type { RecordedEvent } from "../event-store/event";
import type { Projection, TableNames } from "../projections/projection";
import { createTableWriter } from "../projections/row-projection";
import { applyCounts, foldMessaging, keysOf, type MessagingState, type Owner } from "./evolve";
import { MESSAGING_PROJECTION_EVENT_TYPES } from "./events";
import { messagingIds } from "./ids";
import type { ConversationRow, MessageRow } from "./model";
import { conversations, messages, messagingAccounts } from "./tables";
import { translateEvent } from "./translate";

const conversationWriter = createTableWriter(conversations, conversations.unipileChatId);
const messageWriter = createTableWriter(messages, messages.id);
const ownerWriter = createTableWriter(messagingAccounts, messagingAccounts.unipileAccountId);

export const MESSAGING_TABLES = ["messaging_accounts", "conversations", "messages"] as const;

export const messagingProjection: Projection = {
  name: "messaging",
  // 2: chat descriptions (UnipileChatObserved) are applied; version 1 dropped them.
  version: 2,
  eventTypes: MESSAGING_PROJECTION_EVENT_TYPES,
  tables: MESSAGING_TABLES,
  async apply(tx: TransactionSql, events: readonly RecordedEvent[], names: TableNames) {
    const t = {
      owners: names.messaging_accounts ?? "messaging_accounts",
      conversations: names.conversations ?? "conversations",
      messages: names.messages ?? "messages",
    };
    const changes = events.flatMap((event) => translateEvent(event).map((change) => ({ change, recordedAt: event.recordedAt })));
    if (changes.length === 0) return;

    const keys = { chats: new Set<string>(), messages: new Set<string>(), owners: new Set<string>() };
    for (const { change } of changes) {
      const k = keysOf(change, messagingIds);
      for (const c of k.chats) keys.chats.add(c);
      for (const m of k.messages) keys.messages.add(m);
      for (const o of k.owners) keys.owners.add(o);
    }
    const loaded = {
      conversations: await conversationWriter.load(tx, t.conversations, [...keys.chats]),
      messages: await messageWriter.load(tx, t.messages, [...keys.messages]),
      owners: await ownerWriter.load(tx, t.owners, [...keys.owners]),
    };
    const state: MessagingState = {
      conversations: new Map<string, ConversationRow | null>(loaded.conversations),
      messages: new Map<string, MessageRow | null>(loaded.messages),
      owners: new Map<string, Owner | null>(loaded.owners),
    };
    const effects = foldMessaging(state, changes, messagingIds);
    const recount = applyCounts(state, loaded.messages);

    // Read marks reach messages outside the batch in SQL; the conversations' unread counts follow.
    if (effects.readMarks.length > 0) {
      const marked = await tx<{ conversation_id: string; n: number }[]>`
        with marked as (
          update ${tx(t.messages)} m set seen = true
          from (select * from unnest(${effects.readMarks.map((r) => r.conversationId)}::uuid[], ${effects.readMarks.map((r) => r.upTo.toISOString())}::timestamptz[]) as x(conversation_id, up_to)) r
          where m.conversation_id = r.conversation_id and m.arrived and not m.is_sender and not m.seen
            and m.sent_at <= r.up_to and m.id <> all(${[...state.messages.keys()]}::uuid[])
          returning m.conversation_id, m.deleted
        )
        select conversation_id, (count(*) filter (where not deleted))::int as n from marked group by conversation_id
      `;
      for (const { conversation_id, n } of marked) lowerUnread(state, conversation_id, n);
    }

    const owners = new Map(effects.owners.map((o) => [o.unipileAccountId, { unipileAccountId: o.unipileAccountId, ...o.owner }]));
    await ownerWriter.upsert(tx, t.owners, [...owners.values()]);
    await conversationWriter.upsert(tx, t.conversations, changed(state.conversations, loaded.conversations).upserts);
    const messageChanges = changed(state.messages, loaded.messages);
    await messageWriter.upsert(tx, t.messages, messageChanges.upserts);
    await messageWriter.remove(tx, t.messages, messageChanges.deletes);

    for (const owner of owners.values()) {
      await tx`
        update ${tx(t.conversations)} set account_id = ${owner.accountId}, user_id = ${owner.userId}
        where unipile_account_id = ${owner.unipileAccountId} and user_id is null
      `;
    }
    if (recount.size > 0) await recountFromTable(tx, t, [...recount]);
  },
};

function lowerUnread(state: MessagingState, conversationId: string, n: number) {
  for (const [chatId, row] of state.conversations) {
    if (row?.id === conversationId) state.conversations.set(chatId, { ...row, unreadCount: row.unreadCount - n });
  }
}

function changed<Row>(current: Map<string, Row | null>, loaded: Map<string, Row>) {
  const upserts: Row[] = [];
  const deletes: string[] = [];
  for (const [key, row] of current) {
    const before = loaded.get(key) ?? null;
    if (row === before) continue;
    if (row === null) {
      if (before !== null) deletes.push(key);
    } else upserts.push(row);
  }
  return { upserts, deletes };
}

/**
 * Counts, last message and activity of conversations, from their messages,
 * for the few a batch cannot settle by itself (`applyCounts`). The newest
 * message comes from the (conversation, sent_at desc, id desc) index; the
 * counts read the conversation's messages once.
 */
async function recountFromTable(tx: TransactionSql, t: { conversations: string; messages: string }, ids: string[]) {
  await tx`
    update ${tx(t.conversations)} c set
      message_count = s.total,
      unread_count = s.unread,
      last_message_id = l.id,
      last_message_at = l.sent_at,
      last_message_preview = l.preview,
      last_activity_at = coalesce(l.sent_at, c.created_at)
    from unnest(${ids}::uuid[]) as x(id)
    cross join lateral (
      select count(*)::int as total,
             (count(*) filter (where not m.is_sender and not m.seen and not m.deleted))::int as unread
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
