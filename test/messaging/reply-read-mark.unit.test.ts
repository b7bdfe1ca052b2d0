/**
 * Our reply reads the chat up to the reply's time at Unipile, in every order
 * the facts of a send can reach the log: the request, Unipile's answer (it
 * carries the message id, no time), the echo (`message_received` with
 * `is_sender`, Unipile's time) and the contact's messages around them. Each
 * order is applied as the live projection does (one event per batch, rows
 * outside the batch counted through `readRanges`) and as a rebuild does (one
 * batch), over in-memory tables; both must leave the same rows, and the counts
 * must equal a recount from scratch.
 */
import { describe, expect, test } from "bun:test";
import { foldMessaging, keysOf, type MessagingState } from "../../src/conversations/fold/batch";
import { applyCounts, applyReadOutside, readRanges, seenBy, summarizeConversation } from "../../src/conversations/projection/counts";
import { messagingIds } from "../../src/unipile/ingest/ids";
import { aliasedIds, unipileMessageIdsOf } from "../../src/conversations/projection/aliases";
import type { ConversationRow, MessageRow } from "../../src/conversations/model";
import { type LoggedEvent, translateEvent } from "../../src/conversations/changes";
import received from "../fixtures/unipile/message-received-whatsapp.json";

type Json = Record<string, unknown>;
const ACCOUNT = received.account_id;
const CHAT = received.chat_id;
const SEND = "0d7c0f5e-3b0a-4d8e-9a57-1f2e3d4c5b6a";
const REQUESTED_AT = "2025-03-15T12:00:00.000Z";
/** Unipile's time for our reply: its server took the message 600 ms after we asked. */
const REPLY_AT = "2025-03-15T12:00:00.600Z";

interface Tables {
  conversations: Map<string, ConversationRow>;
  messages: Map<string, MessageRow>;
}

/** One batch as `messaging-projection.ts` applies it, with Maps for tables. */
function applyBatch(tables: Tables, events: readonly LoggedEvent[]) {
  const changes = events.flatMap((e) => translateEvent(e).map((change) => ({ change, recordedAt: e.recordedAt })));
  const loaded = { conversations: new Map<string, ConversationRow>(), messages: new Map<string, MessageRow>() };
  // The writer's alias query: rows holding a Unipile id named by the batch under another id (our sends).
  const aliases = new Map<string, string>();
  for (const unipileId of changes.flatMap(({ change }) => unipileMessageIdsOf(change))) {
    for (const row of tables.messages.values()) if (row.unipileMessageId === unipileId && row.id !== messagingIds.message(unipileId)) aliases.set(unipileId, row.id);
  }
  const ids = aliasedIds(aliases);
  for (const { change } of changes) {
    const keys = keysOf(change, ids);
    for (const chatId of keys.chats) {
      const row = tables.conversations.get(chatId);
      if (row) loaded.conversations.set(chatId, row);
    }
    for (const id of keys.messages) {
      const row = tables.messages.get(id);
      if (row) loaded.messages.set(id, row);
    }
  }
  const state: MessagingState = { conversations: new Map(loaded.conversations), messages: new Map(loaded.messages), owners: new Map(), aliases };
  foldMessaging(state, changes, ids);
  const recount = applyCounts(state, loaded.messages, loaded.conversations);
  // The writer's range query, on the table as it stood before this batch.
  const found = readRanges(state, loaded.conversations).flatMap((range) =>
    [...tables.messages.values()]
      .filter((m) => m.conversationId === range.conversationId && (range.after === null || m.sentAt > range.after) && m.sentAt <= range.upTo)
      .filter((m) => m.arrived && !m.isSender && !m.seen && !m.deleted)
      .map((m) => ({ conversationId: range.conversationId, id: m.id })),
  );
  applyReadOutside(state, found);
  for (const [chatId, row] of state.conversations) if (row) tables.conversations.set(chatId, row);
  for (const [id, row] of state.messages) {
    if (row) tables.messages.set(id, row);
    else tables.messages.delete(id);
  }
  for (const [chatId, row] of tables.conversations) {
    if (recount.has(row.id)) tables.conversations.set(chatId, summarizeConversation(row, tables.messages.values()));
  }
}

const webhook = (body: Json, recordedAt: Date): LoggedEvent => ({ type: "UnipileWebhookReceived", data: { kind: "messaging", event: body.event, unipileAccountId: ACCOUNT, raw: body }, recordedAt });
const own = (type: string, data: Json, recordedAt: Date): LoggedEvent => ({ type, data: { unipileAccountId: ACCOUNT, ...data }, recordedAt });
const fromContact = (messageId: string, timestamp: string) => (recordedAt: Date) =>
  webhook({ ...received, message_id: messageId, provider_message_id: `P-${messageId}`, message: messageId, timestamp }, recordedAt);

/**
 * The facts of one reply, by name; each becomes an event when its place in the log is known. `newChat`:
 * the reply starts the chat from a phone number (the request names no chat; Unipile's answer does).
 */
const factsOf = (newChat: boolean) => ({
  requested: (r: Date) =>
    own(
      "MessageSendRequested",
      { sendId: SEND, attempt: 1, userId: "u", accountId: "a", unipileChatId: newChat ? null : CHAT, recipients: newChat ? ["33698765432"] : [], text: "Oui, partie hier", attachments: [], quoteUnipileMessageId: null, fingerprint: "f", idempotencyKey: null, at: REQUESTED_AT },
      r,
    ),
  answered: (r: Date) => own("MessageSent", { sendId: SEND, unipileChatId: CHAT, unipileMessageId: "REPLY", newChat, at: "2025-03-15T12:00:00.700Z" }, r),
  echo: (r: Date) => webhook({ ...received, message_id: "REPLY", provider_message_id: "P-REPLY", message: "Oui, partie hier", is_sender: true, timestamp: REPLY_AT }, r),
  /** The contact wrote after our request, before Unipile took our reply: our reply read it. */
  between: fromContact("BETWEEN", "2025-03-15T12:00:00.300Z"),
  /** The contact wrote after our reply: unread. */
  after: fromContact("AFTER", "2025-03-15T12:00:01.000Z"),
  /** The contact wrote before our request. */
  earlier: fromContact("EARLIER", "2025-03-15T11:59:00.000Z"),
});
type Fact = keyof ReturnType<typeof factsOf>;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every order the log can hold: a send's stream has its request before its outcome; all else may come in any order. */
const ORDERS = permutations<Fact>(["requested", "answered", "echo", "between", "after"]).filter((order) => order.indexOf("requested") < order.indexOf("answered"));

/**
 * Given the contact's earlier message already projected (unless the reply starts the chat), when the
 * facts come in `order`: one batch each (live) or all in one (rebuild). Events are recorded a second
 * apart, in order.
 */
function project(order: readonly Fact[], batches: "live" | "rebuild", { newChat = false } = {}): Tables {
  const tables: Tables = { conversations: new Map(), messages: new Map() };
  const facts = factsOf(newChat);
  if (!newChat) applyBatch(tables, [facts.earlier(new Date("2025-03-15T11:59:01.000Z"))]);
  const events = order.map((fact, i) => facts[fact](new Date(Date.parse("2025-03-15T12:00:05.000Z") + i * 1000)));
  if (batches === "live") for (const event of events) applyBatch(tables, [event]);
  else applyBatch(tables, events);
  return tables;
}

const conversationOf = (tables: Tables) => tables.conversations.get(CHAT) as ConversationRow;
const readByAccount = (tables: Tables, unipileId: string) => seenBy(tables.messages.get(messagingIds.message(unipileId)) as MessageRow, conversationOf(tables).readUpTo);
/** The rows without the log times, which follow the order the facts were recorded in. */
const withoutLogTimes = (tables: Tables) => ({
  conversations: [...tables.conversations.values()].map(({ updatedAt: _u, createdAt: _c, ...row }) => row),
  messages: [...tables.messages.values()].map(({ updatedAt: _u, ...row }) => row).sort((a, b) => a.id.localeCompare(b.id)),
});

describe("our reply reads the chat up to Unipile's time for it, in every order", () => {
  for (const newChat of [false, true]) {
    test(`${ORDERS.length} orders of request, answer, echo and two messages from the contact, ${newChat ? "starting the chat" : "in a known chat"}`, () => {
      expect(ORDERS).toHaveLength(60);
      const reference = withoutLogTimes(project(ORDERS[0] as Fact[], "live", { newChat }));
      for (const order of ORDERS) {
        const live = project(order, "live", { newChat });
        const rebuilt = project(order, "rebuild", { newChat });
        const what = order.join(" → ");

        // Then the read mark stands at the reply's Unipile time, whichever came first
        expect({ order: what, readUpTo: conversationOf(live).readUpTo?.toISOString() }).toEqual({ order: what, readUpTo: REPLY_AT });
        // …the contact's message between the request and that time is read, the later one is not
        expect({ order: what, between: readByAccount(live, "BETWEEN"), after: readByAccount(live, "AFTER") }).toEqual({ order: what, between: true, after: false });
        if (!newChat) expect(readByAccount(live, "EARLIER")).toBe(true);
        const total = newChat ? 3 : 4;
        expect({ order: what, unread: conversationOf(live).unreadCount, total: conversationOf(live).messageCount }).toEqual({ order: what, unread: 1, total });
        // …the counts moved batch by batch equal a recount from scratch, and a rebuild leaves the same rows
        expect(conversationOf(live)).toEqual(summarizeConversation(conversationOf(live), live.messages.values()));
        expect({ order: what, rows: rebuilt }).toEqual({ order: what, rows: live });
        // …and the order changes nothing but the log times
        expect({ order: what, rows: withoutLogTimes(live) }).toEqual({ order: what, rows: reference });
      }
    });
  }

  test("the reply is one message at Unipile's time; the contact's later message is the newest", () => {
    const tables = project(["requested", "between", "answered", "echo", "after"], "live");
    expect(tables.messages.has(messagingIds.message("REPLY"))).toBe(false);
    expect(tables.messages.get(SEND)).toMatchObject({ id: SEND, sendId: SEND, unipileMessageId: "REPLY", isSender: true, sentAt: new Date(REPLY_AT), status: "sent" });
    expect(conversationOf(tables)).toMatchObject({ lastMessageId: messagingIds.message("AFTER"), unreadCount: 1 });
  });

  test("until the echo comes, the mark stands at the request's time", () => {
    const tables = project(["requested", "between", "answered"], "live");
    expect(conversationOf(tables).readUpTo?.toISOString()).toBe(REQUESTED_AT);
    expect(readByAccount(tables, "BETWEEN")).toBe(false);
    expect(conversationOf(tables).unreadCount).toBe(1);
  });

  test("starting a chat, Unipile's answer reads it up to the request's time until the echo comes", () => {
    // Given a message from the contact, projected after our request, in the chat Unipile reuses for it
    const tables = project(["requested", "earlier", "answered"], "live", { newChat: true });
    expect(conversationOf(tables).readUpTo?.toISOString()).toBe(REQUESTED_AT);
    expect(readByAccount(tables, "EARLIER")).toBe(true);
    expect(conversationOf(tables).unreadCount).toBe(0);
  });
});
