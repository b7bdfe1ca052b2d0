/**
 * @module live/feed
 * A user's live feed, read from the log: the events after a position that
 * concern the user's accounts, up to where the projections have applied
 * them, each turned into the rows it changed as they stand now. One feed item
 * per log event, carrying that event's log position, so a client resuming
 * after an item misses nothing and gets nothing twice.
 */
import { accountView } from "../accounts";
import { ACCOUNT_EVENT_TYPES } from "../accounts";
import type { AccountRow } from "../accounts";
import { accounts } from "../accounts";
import type { Queryable, Sql } from "../db/client";
import { compareLogPositions, type LogPosition, type RecordedEvent } from "../event-store/event";
import { readAll } from "../event-store/read-all";
import { conversationsFold } from "../conversations";
import { IMPORT_EVENT_TYPES, importProgress } from "./import-progress";
import type { ConversationRow, MessageRow } from "../conversations";
import { conversations, messages } from "../conversations";
import { conversationView, messageView } from "../conversations";
import { readCheckpoint } from "../projections/checkpoints";
import type { Projection } from "../projections/projection";
import { createRowMapper } from "../projections/row-projection";

export const FEED_EVENT_TYPES = [...new Set<string>([...conversationsFold.eventTypes, ...ACCOUNT_EVENT_TYPES])];
/** A history import's start, progress and end: account items too (subscriptions and the event stream read them). */
export const HISTORY_IMPORT_EVENT_TYPES = ["AccountBackfillStarted", "AccountBackfillProgressed", "AccountBackfillCompleted"] as const;
const ACCOUNT_ITEM_TYPES: readonly string[] = [...ACCOUNT_EVENT_TYPES, ...HISTORY_IMPORT_EVENT_TYPES];

export interface FeedItem {
  /** The log position of the event, `<transaction id>-<global position>`. */
  id: string;
  event: "message" | "conversation" | "account";
  data: Record<string, unknown>;
  /** When the log recorded the event (ISO-8601). */
  at: string;
  /** Items with the same key concern the same conversation (or account): their order matters. */
  orderKey: string;
  /** For a Unipile webhook, its event name (`message_received`, `message_reaction`, …). */
  webhookEvent?: string;
}

export interface ReadFeedOptions {
  userId: string;
  after: LogPosition;
  upTo: LogPosition;
  limit: number;
  /** Event types to read. @default FEED_EVENT_TYPES */
  types?: readonly string[];
  /** Keeps only some of the user's events (by Unipile account, type). */
  accept?: (event: RecordedEvent, unipileAccountId: string) => boolean;
}

export const encodePosition = (p: LogPosition) => `${p.transactionId}-${p.globalPosition}`;

/** xid8 is an unsigned 64-bit integer: a larger id would fail in Postgres, not here. */
const MAX_XID8 = 18_446_744_073_709_551_615n;

export function decodePosition(id: string): LogPosition | null {
  const match = /^(\d{1,20})-(\d{1,19})$/.exec(id.trim());
  if (!match?.[1]) return null;
  const globalPosition = Number(match[2]);
  if (!Number.isSafeInteger(globalPosition) || BigInt(match[1]) > MAX_XID8) return null;
  return { transactionId: BigInt(match[1]).toString(), globalPosition };
}

/** Where every given projection has got to: the feed never runs ahead of the rows it reads. */
export async function projectedPosition(sql: Queryable, projections: readonly Projection[]): Promise<LogPosition | null> {
  let lowest: LogPosition | null = null;
  for (const p of projections) {
    const checkpoint = await readCheckpoint(sql, p.name);
    if (!checkpoint) return null;
    if (!lowest || compareLogPositions(checkpoint, lowest) < 0) lowest = checkpoint;
  }
  return lowest;
}

const accountMapper = createRowMapper(accounts);
const conversationMapper = createRowMapper(conversations);
const messageMapper = createRowMapper(messages);
type Raw = Record<string, unknown>;

/** The unipile account an event concerns, when it says. */
const accountOf = (event: RecordedEvent): string | null => {
  const id = (event.data as { unipileAccountId?: unknown } | null)?.unipileAccountId;
  return typeof id === "string" ? id : null;
};

export async function readFeed(sql: Sql, options: ReadFeedOptions): Promise<{ items: FeedItem[]; position: LogPosition; caughtUp: boolean }> {
  const types = options.types ?? FEED_EVENT_TYPES;
  const page = await readAll(sql, { after: options.after, upTo: options.upTo, limit: options.limit, types: [...types] });
  const owned = new Set(
    (await sql<{ id: string }[]>`select unipile_account_id as id from accounts where user_id = ${options.userId}`).map((r) => r.id),
  );
  const mine = page.events.filter((e) => {
    const account = accountOf(e);
    return account !== null && owned.has(account) && (!options.accept || options.accept(e, account));
  });
  if (mine.length === 0) return { items: [], position: page.position, caughtUp: page.caughtUp };

  const plans = mine.map((event) => planOf(event));
  const rows = await loadRows(sql, options.userId, plans);
  const items: FeedItem[] = [];
  for (const plan of plans) {
    const item = itemOf(plan, rows);
    if (item) items.push(item);
  }
  return { items, position: page.position, caughtUp: page.caughtUp };
}

interface Plan {
  event: RecordedEvent;
  messageIds: string[];
  /** Unipile's ids of the messages: a message we sent keeps its send's id, not the one derived from these. */
  unipileMessageIds: string[];
  chatIds: string[];
  unipileAccountId: string;
}

function planOf(event: RecordedEvent): Plan {
  return { event, ...conversationsFold.rowsOf(event), unipileAccountId: accountOf(event) as string };
}

async function loadRows(sql: Sql, userId: string, plans: Plan[]) {
  const messageIds = [...new Set(plans.flatMap((p) => p.messageIds))];
  const unipileMessageIds = [...new Set(plans.flatMap((p) => p.unipileMessageIds))];
  const chatIds = [...new Set(plans.flatMap((p) => p.chatIds))];
  const accountIds = [...new Set(plans.map((p) => p.unipileAccountId))];
  const [m, c, a] = await Promise.all([
    messageIds.length
      ? sql<Raw[]>`select * from messages where (id = any(${messageIds}::uuid[]) or unipile_message_id = any(${unipileMessageIds})) and arrived`
      : Promise.resolve([] as Raw[]),
    chatIds.length ? sql<Raw[]>`select * from conversations where unipile_chat_id = any(${chatIds}) and user_id = ${userId}` : Promise.resolve([] as Raw[]),
    sql<Raw[]>`select * from accounts where unipile_account_id = any(${accountIds}) and user_id = ${userId}`,
  ]);
  const messageRows = m.map((r) => messageMapper.fromDb(r) as MessageRow);
  // A send's outcome names no chat (a failure, a new chat): its message's conversation is read by id.
  const loadedChats = new Set(c.map((r) => r.id as string));
  const missing = [...new Set(messageRows.map((row) => row.conversationId).filter((id): id is string => id !== null && !loadedChats.has(id)))];
  if (missing.length > 0) c.push(...(await sql<Raw[]>`select * from conversations where id = any(${missing}::uuid[]) and user_id = ${userId}`));
  return {
    messages: new Map(messageRows.map((row) => [row.id, row])),
    byUnipileId: new Map(messageRows.flatMap((row) => (row.unipileMessageId ? [[row.unipileMessageId, row] as const] : []))),
    conversations: new Map(c.map((r) => { const row = conversationMapper.fromDb(r) as ConversationRow; return [row.unipileChatId, row]; })),
    accounts: new Map(a.map((r) => { const row = accountMapper.fromDb(r) as AccountRow; return [row.unipileAccountId, row]; })),
  };
}

function itemOf(plan: Plan, rows: Awaited<ReturnType<typeof loadRows>>): FeedItem | null {
  const id = encodePosition(plan.event);
  const at = plan.event.recordedAt.toISOString();
  const webhookEvent = (plan.event.data as { raw?: { event?: unknown } } | null)?.raw?.event;
  const message = [...plan.unipileMessageIds.map((u) => rows.byUnipileId.get(u)), ...plan.messageIds.map((m) => rows.messages.get(m))]
    .filter((m): m is MessageRow => m !== undefined)
    .at(-1);
  const conversation = plan.chatIds.map((c) => rows.conversations.get(c)).find((c) => c !== undefined) ?? null;
  if (message) {
    const conv = conversation ?? [...rows.conversations.values()].find((c) => c.id === message.conversationId) ?? null;
    if (!conv) return null;
    const data = { type: plan.event.type, message: messageView(message, conv.readUpTo), conversation: conversationView(conv) };
    return { id, event: "message", data, at, orderKey: `conversation:${conv.id}`, ...(typeof webhookEvent === "string" ? { webhookEvent } : {}) };
  }
  if (conversation) {
    return { id, event: "conversation", data: { type: plan.event.type, conversation: conversationView(conversation) }, at, orderKey: `conversation:${conversation.id}` };
  }
  const account = rows.accounts.get(plan.unipileAccountId);
  if (account && ACCOUNT_ITEM_TYPES.includes(plan.event.type)) {
    const progress = IMPORT_EVENT_TYPES.includes(plan.event.type) ? { progress: importProgress(plan.event.type, plan.event.data) } : {};
    return { id, event: "account", data: { type: plan.event.type, account: accountView(account), ...progress }, at, orderKey: `account:${account.unipileAccountId}` };
  }
  return null;
}
