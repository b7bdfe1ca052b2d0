/**
 * @module conversations/projection/apply
 * Conversations and messages from the log. A batch loads every row its
 * events touch in three queries, folds the events with the pure
 * `conversationsFold`, moves the conversations' counts, preview and activity by
 * what the batch did to their messages (`applyCounts`), applies what rows
 * outside the batch need (unread messages a moved read mark covers, owners), and writes each changed row
 * once. The rare conversation whose newest message went away is recounted
 * from the table.
 */
import type { TransactionSql } from "../../db/client";
import type { RecordedEvent } from "../../event-store/event";
import type { Projection, TableNames } from "../../projections/projection";
import { createTableWriter } from "../../projections/row-projection";
import { conversationsFold, type MessagingState, type Owner, } from "../fold";
import type { ConversationRow, MessageRow } from "../model";
import { conversations, messages, messagingAccounts } from "../tables";
import { aliasedIds, loadAliases } from "./aliases";
import { applyCounts, applyReadOutside, chatsByConversation, readOutsideFromTable, readRanges, recountFromTable } from "./counts";
import { ConversationCache } from "./rebuild-cache";

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
    eventTypes: conversationsFold.eventTypes,
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

type Loaded = { conversations: Map<string, ConversationRow>; messages: Map<string, MessageRow>; owners: Map<string, Owner> };

async function applyMessaging(tx: TransactionSql, events: readonly RecordedEvent[], t: Tables, held: ConversationCache | null) {
  const changes = conversationsFold.changesOf(events);
  if (changes.length === 0) return;
  const aliases = await loadAliases(tx, t.messages, changes.map((c) => c.change));
  const ids = aliasedIds(aliases);
  const loaded = await loadRows(tx, t, conversationsFold.keysOf(changes, ids), held);
  const state: MessagingState = {
    conversations: new Map<string, ConversationRow | null>(loaded.conversations),
    messages: new Map<string, MessageRow | null>(loaded.messages),
    owners: new Map<string, Owner | null>(loaded.owners),
    aliases,
  };
  const effects = conversationsFold.fold(state, changes, ids);
  const recount = applyCounts(state, loaded.messages, loaded.conversations);
  // A read mark that moved reads the conversation's messages outside the batch sent in the range.
  applyReadOutside(state, await readOutsideFromTable(tx, t, readRanges(state, loaded.conversations)));
  await writeRows(tx, t, state, loaded, effects.owners, held);
  if (recount.size > 0) {
    if (held) {
      const chatOf = chatsByConversation(state);
      await held.release(tx, t.conversations, new Set([...recount].flatMap((id) => chatOf.get(id) ?? [])));
    }
    await recountFromTable(tx, t, [...recount]);
  }
  await held?.trim(tx, t.conversations);
}

/** Every row the batch's changes touch, in three queries (conversations a rebuild holds are not read again). */
async function loadRows(tx: TransactionSql, t: Tables, keys: ReturnType<typeof conversationsFold.keysOf>, held: ConversationCache | null): Promise<Loaded> {
  const heldConversations = new Map<string, ConversationRow>();
  const unheld: string[] = [];
  for (const chatId of keys.chats) {
    const row = held?.get(chatId);
    if (row) heldConversations.set(chatId, row);
    else unheld.push(chatId);
  }
  return {
    conversations: new Map([...heldConversations, ...(await conversationWriter.load(tx, t.conversations, unheld))]),
    messages: await messageWriter.load(tx, t.messages, [...keys.messages]),
    owners: await ownerWriter.load(tx, t.owners, [...keys.owners]),
  };
}

/** Writes each changed row once, then gives conversations that had no owner the one the batch learned. */
async function writeRows(
  tx: TransactionSql,
  t: Tables,
  state: MessagingState,
  loaded: Loaded,
  ownerEffects: readonly { unipileAccountId: string; owner: Owner }[],
  held: ConversationCache | null,
) {
  const owners = new Map(ownerEffects.map((o) => [o.unipileAccountId, { unipileAccountId: o.unipileAccountId, ...o.owner }]));
  await ownerWriter.upsert(tx, t.owners, [...owners.values()]);
  const conversationChanges = changed(state.conversations, loaded.conversations).upserts;
  if (held) for (const row of conversationChanges) held.put(row);
  else await conversationWriter.upsert(tx, t.conversations, conversationChanges);
  const messageChanges = changed(state.messages, loaded.messages);
  // Deletions first: a send's row takes over the Unipile id of the echo row it replaces (unique column).
  await messageWriter.remove(tx, t.messages, messageChanges.deletes);
  if (held) {
    // A rebuild's tables are its own: a message not found by the load above is new.
    await messageWriter.insertNew(tx, t.messages, messageChanges.upserts.filter((row) => !loaded.messages.has(row.id)));
    await messageWriter.upsert(tx, t.messages, messageChanges.upserts.filter((row) => loaded.messages.has(row.id)));
  } else await messageWriter.upsert(tx, t.messages, messageChanges.upserts);
  if (owners.size > 0) await held?.releaseAll(tx, t.conversations);
  for (const owner of owners.values()) {
    await tx`
      update ${tx(t.conversations)} set account_id = ${owner.accountId}, user_id = ${owner.userId}
      where unipile_account_id = ${owner.unipileAccountId} and user_id is null
    `;
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
