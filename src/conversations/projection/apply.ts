/**
 * @module conversations/projection/apply
 * Conversations and messages from the log. A batch loads every row its
 * events touch in three queries, folds the events with the pure
 * `foldMessaging`, moves the conversations' counts, preview and activity by
 * what the batch did to their messages (`applyCounts`), applies what rows
 * outside the batch need (unread messages a moved read mark covers, owners), and writes each changed row
 * once. The rare conversation whose newest message went away is recounted
 * from the table.
 */
import type { TransactionSql } from "../../db/client";
import type { RecordedEvent } from "../../event-store/event";
import type { Projection, TableNames } from "../../projections/projection";
import { createTableWriter } from "../../projections/row-projection";
import { applyCounts, applyReadOutside, chatsByConversation, foldMessaging, keysOf, type MessagingState, type Owner, readRanges } from "../evolve";
import { MESSAGING_PROJECTION_EVENT_TYPES } from "../events";
import { aliasedIds, loadAliases } from "./aliases";
import type { ConversationRow, MessageRow } from "../model";
import { conversations, messages, messagingAccounts } from "../tables";
import { translateEvent } from "../changes";

const conversationWriter = createTableWriter(conversations, conversations.unipileChatId);
const messageWriter = createTableWriter(messages, messages.id);
const ownerWriter = createTableWriter(messagingAccounts, messagingAccounts.unipileAccountId);

export const MESSAGING_TABLES = ["messaging_accounts", "conversations", "messages"] as const;

export interface MessagingProjectionOptions {
  /**
   * Conversations a rebuild holds in memory at most; past it, every held row
   * is written and the older half let go. @default 100000
   */
  heldConversations?: number;
}

/** The messaging projection; `options` only tune rebuilds (tests hold few rows to exercise the writes). */
export function createMessagingProjection(options: MessagingProjectionOptions = {}): Projection {
  const limit = options.heldConversations ?? 100_000;
  return {
    name: "messaging",
    // 5: a message we sent keeps its send's id after Unipile's answer and echo (version 4 moved it to
    // the id derived from Unipile's); 4: our reply reads the chat up to Unipile's time for it also when its echo came after Unipile's
    // answer (version 3 left the mark at the request's time); 3: read marks stay on the conversation
    // (messages.seen no longer copies them); 2: chat descriptions (UnipileChatObserved) are applied,
    // version 1 dropped them.
    version: 5,
    eventTypes: MESSAGING_PROJECTION_EVENT_TYPES,
    tables: MESSAGING_TABLES,
    // Read ranges and recounts walk a conversation's messages; owners find an account's conversations.
    rebuildIndexes: ["messages_conversation_time_idx", "conversations_unipile_account_idx"],
    apply: (tx, events, names) => applyMessaging(tx, events, tablesOf(names), null),
    beginRebuild(names) {
      const t = tablesOf(names);
      const held = new ConversationCache(limit);
      return {
        apply: (tx, events) => applyMessaging(tx, events, t, held),
        finish: (tx) => held.flush(tx, t.conversations),
      };
    },
  };
}

export const messagingProjection = createMessagingProjection();

interface Tables {
  owners: string;
  conversations: string;
  messages: string;
}

const tablesOf = (names: TableNames): Tables => ({
  owners: names.messaging_accounts ?? "messaging_accounts",
  conversations: names.conversations ?? "conversations",
  messages: names.messages ?? "messages",
});

/**
 * A rebuild's conversations, by chat id, kept across batches: a conversation
 * with messages all through the log is then written a few times instead of
 * once per batch. The rows held are the truth; a statement that writes the
 * conversations table itself (owners, recounts) first has them written.
 */
class ConversationCache {
  private readonly rows = new Map<string, ConversationRow>();
  private readonly dirty = new Set<string>();
  constructor(private readonly limit: number) {}

  get(chatId: string): ConversationRow | undefined {
    return this.rows.get(chatId);
  }

  put(row: ConversationRow) {
    this.rows.set(row.unipileChatId, row);
    this.dirty.add(row.unipileChatId);
  }

  /** Writes the held rows that changed since they were last written. */
  async flush(tx: TransactionSql, table: string, only?: ReadonlySet<string>) {
    const rows: ConversationRow[] = [];
    for (const chatId of this.dirty) {
      if (only && !only.has(chatId)) continue;
      const row = this.rows.get(chatId);
      if (row) rows.push(row);
    }
    await conversationWriter.upsert(tx, table, rows);
    for (const row of rows) this.dirty.delete(row.unipileChatId);
  }

  /** Writes and forgets these conversations (the table is about to change under them). */
  async release(tx: TransactionSql, table: string, chatIds: ReadonlySet<string>) {
    await this.flush(tx, table, chatIds);
    for (const chatId of chatIds) this.rows.delete(chatId);
  }

  async releaseAll(tx: TransactionSql, table: string) {
    await this.flush(tx, table);
    this.rows.clear();
  }

  /** Past the limit: writes everything held, keeps the newer half. */
  async trim(tx: TransactionSql, table: string) {
    if (this.rows.size <= this.limit) return;
    await this.flush(tx, table);
    let drop = this.rows.size - Math.floor(this.limit / 2);
    for (const chatId of this.rows.keys()) {
      if (drop-- <= 0) break;
      this.rows.delete(chatId);
    }
  }
}

async function applyMessaging(tx: TransactionSql, events: readonly RecordedEvent[], t: Tables, held: ConversationCache | null) {
  const changes = events.flatMap((event) => translateEvent(event).map((change) => ({ change, recordedAt: event.recordedAt })));
  if (changes.length === 0) return;

  const aliases = await loadAliases(tx, t.messages, changes.map((c) => c.change));
  const ids = aliasedIds(aliases);
  const keys = { chats: new Set<string>(), messages: new Set<string>(), owners: new Set<string>() };
  for (const { change } of changes) {
    const k = keysOf(change, ids);
    for (const c of k.chats) keys.chats.add(c);
    for (const m of k.messages) keys.messages.add(m);
    for (const o of k.owners) keys.owners.add(o);
  }
  const heldConversations = new Map<string, ConversationRow>();
  const unheld: string[] = [];
  for (const chatId of keys.chats) {
    const row = held?.get(chatId);
    if (row) heldConversations.set(chatId, row);
    else unheld.push(chatId);
  }
  const loaded = {
    conversations: new Map([...heldConversations, ...(await conversationWriter.load(tx, t.conversations, unheld))]),
    messages: await messageWriter.load(tx, t.messages, [...keys.messages]),
    owners: await ownerWriter.load(tx, t.owners, [...keys.owners]),
  };
  const state: MessagingState = {
    conversations: new Map<string, ConversationRow | null>(loaded.conversations),
    messages: new Map<string, MessageRow | null>(loaded.messages),
    owners: new Map<string, Owner | null>(loaded.owners),
    aliases,
  };
  const effects = foldMessaging(state, changes, ids);
  const recount = applyCounts(state, loaded.messages, loaded.conversations);

  // A read mark that moved reads the conversation's messages outside the batch sent in the range: they
  // are counted (not written; see seenBy) and the unread count drops by as many.
  const ranges = readRanges(state, loaded.conversations);
  if (ranges.length > 0) {
    const found = await tx<{ conversationId: string; id: string }[]>`
      select r.conversation_id as "conversationId", m.id
      from unnest(
        ${ranges.map((r) => r.conversationId)}::uuid[],
        ${ranges.map((r) => r.after?.toISOString() ?? null)}::timestamptz[],
        ${ranges.map((r) => r.upTo.toISOString())}::timestamptz[]
      ) as r(conversation_id, after, up_to)
      join ${tx(t.messages)} m on m.conversation_id = r.conversation_id
        -- A range of the (conversation, time) index, both ends in the index condition.
        and m.sent_at > coalesce(r.after, '-infinity') and m.sent_at <= r.up_to
      where m.arrived and not m.is_sender and not m.seen and not m.deleted
    `;
    applyReadOutside(state, found);
  }

  const owners = new Map(effects.owners.map((o) => [o.unipileAccountId, { unipileAccountId: o.unipileAccountId, ...o.owner }]));
  await ownerWriter.upsert(tx, t.owners, [...owners.values()]);
  const conversationChanges = changed(state.conversations, loaded.conversations).upserts;
  if (held) for (const row of conversationChanges) held.put(row);
  else await conversationWriter.upsert(tx, t.conversations, conversationChanges);
  const messageChanges = changed(state.messages, loaded.messages);
  // Deletions first: a send's row takes over the Unipile id of the echo row it replaces (unique column).
  await messageWriter.remove(tx, t.messages, messageChanges.deletes);
  if (held) {
    // A rebuild's tables are its own: a message not found by the load above is new.
    const fresh = messageChanges.upserts.filter((row) => !loaded.messages.has(row.id));
    await messageWriter.insertNew(tx, t.messages, fresh);
    await messageWriter.upsert(tx, t.messages, messageChanges.upserts.filter((row) => loaded.messages.has(row.id)));
  } else await messageWriter.upsert(tx, t.messages, messageChanges.upserts);

  if (owners.size > 0) await held?.releaseAll(tx, t.conversations);
  for (const owner of owners.values()) {
    await tx`
      update ${tx(t.conversations)} set account_id = ${owner.accountId}, user_id = ${owner.userId}
      where unipile_account_id = ${owner.unipileAccountId} and user_id is null
    `;
  }
  if (recount.size > 0) {
    if (held) {
      const chatOf = chatsByConversation(state);
      await held.release(tx, t.conversations, new Set([...recount].flatMap((id) => chatOf.get(id) ?? [])));
    }
    await recountFromTable(tx, t, [...recount]);
  }
  await held?.trim(tx, t.conversations);
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
async function recountFromTable(tx: TransactionSql, t: Tables, ids: string[]) {
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
