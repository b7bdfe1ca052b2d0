/**
 * The messaging fold without I/O: events (as the log holds them) in, rows
 * and effects out, in every order the facts can arrive in.
 */
import { describe, expect, test } from "bun:test";
import { foldMessaging, type MessagingState, messageKey } from "../../src/conversations/fold/batch";
import { applyCounts, seenBy } from "../../src/conversations/projection/counts";
import { messagingIds } from "../../src/unipile/ingest/ids";
import type { ConversationRow, MessageRow } from "../../src/conversations/model";
import { type LoggedEvent, translateEvent } from "../../src/conversations/changes";
import received from "../fixtures/unipile/message-received-whatsapp.json";
import group from "../fixtures/unipile/message-received-group.json";
import restMessages from "../fixtures/unipile/message-list.json";

type Json = Record<string, unknown>;
const ACCOUNT = received.account_id;
const CHAT = received.chat_id;
let clock = Date.parse("2025-03-15T12:00:00.000Z");
const at = () => new Date((clock += 1000));

const webhook = (body: Json): LoggedEvent => ({ type: "UnipileWebhookReceived", data: { kind: "messaging", event: body.event, unipileAccountId: ACCOUNT, raw: body }, recordedAt: at() });
const followUp = (event: string, extra: Json = {}) => webhook({ ...received, event, timestamp: at().toISOString(), ...extra });
const own = (data: Json, type: string): LoggedEvent => ({ type, data: { unipileAccountId: ACCOUNT, at: at().toISOString(), ...data }, recordedAt: at() });

function fold(events: LoggedEvent[], state?: MessagingState) {
  const s: MessagingState = state ?? { conversations: new Map(), messages: new Map(), owners: new Map() };
  const changes = events.flatMap((e) => translateEvent(e).map((change) => ({ change, recordedAt: e.recordedAt })));
  const effects = foldMessaging(s, changes, messagingIds);
  return { state: s, effects };
}
/** The row of a Unipile message: our own sends keep their send's id (see messageKey). */
const messageOf = (state: MessagingState, unipileId: string) => state.messages.get(messageKey(state, messagingIds, unipileId)) as MessageRow;
/** Whether the account has read the message, as the API says it: its own flag, or the conversation's read mark. */
const readByAccount = (state: MessagingState, unipileId: string) => seenBy(messageOf(state, unipileId), state.conversations.get(CHAT)?.readUpTo ?? null);
/** A row without the log times that differ between two orders of the same facts. */
const content = ({ updatedAt: _u, ...row }: MessageRow) => row;

describe("translate", () => {
  test("a WhatsApp sender known by an @lid keeps its phone from attendee_specifics, never from the lid", () => {
    const { state } = fold([webhook(received)]);
    const message = messageOf(state, received.message_id);
    expect(message.senderProviderId).toBe("160512172130375@lid");
    expect(message.senderPhone).toBe("33698765432");
    const { state: bare } = fold([webhook({ ...received, sender: { ...received.sender, attendee_specifics: null, attendee_public_identifier: null } })]);
    expect(messageOf(bare, received.message_id).senderPhone).toBeNull();
  });

  test("a group's name is its subject and its sender is the member who wrote", () => {
    const { state } = fold([webhook(group as Json)]);
    const conversation = state.conversations.get(group.chat_id);
    expect(conversation).toMatchObject({ type: "group", name: group.subject });
    expect(messageOf(state, group.message_id).senderName).toBe(group.sender.attendee_name);
  });

  test("Unipile's description of a chat wins over the names webhooks suggest", () => {
    const chat = { object: "Chat", id: CHAT, account_id: ACCOUNT, account_type: "WHATSAPP", provider_id: received.provider_chat_id, name: "Marie (client)", type: 0, timestamp: null, unread_count: 0, archived: 0 };
    const described: LoggedEvent = { type: "UnipileChatObserved", data: { unipileAccountId: ACCOUNT, unipileChatId: CHAT, chat, attendees: [], at: at().toISOString() }, recordedAt: at() };
    const { state } = fold([described, webhook(received)]);
    expect(state.conversations.get(CHAT)).toMatchObject({ name: "Marie (client)", detailsKnown: true });
  });

  test("a payload that does not parse changes nothing", () => {
    expect(translateEvent(webhook({ event: "message_received" }))).toEqual([]);
  });
});

describe("follow-ups that overtake their message", () => {
  const arrival = () => webhook(received);

  test("an edit, a reaction and a read make a hidden stub that the message fills", () => {
    const { state: early } = fold([
      followUp("message_edited", { message: "corrigé" }),
      followUp("message_reaction", { reaction: "👍", reaction_sender: { attendee_id: "x", attendee_provider_id: "336@s.whatsapp.net", attendee_name: "Moi" } }),
    ]);
    expect(messageOf(early, received.message_id)).toMatchObject({ arrived: false, edited: true, text: "corrigé" });

    const { state } = fold([arrival()], early);
    const message = messageOf(state, received.message_id);
    expect(message).toMatchObject({ arrived: true, edited: true, text: "corrigé", sentAt: new Date(received.timestamp) });
    expect(message.reactions.map((r) => r.value)).toEqual(["👍"]);
  });

  test("a deletion stays a deletion whenever the message arrives", () => {
    const { state } = fold([followUp("message_deleted"), arrival()]);
    expect(messageOf(state, received.message_id)).toMatchObject({ deleted: true, text: null, attachments: [], arrived: true });
  });

  test("a read on the phone before the message marks it seen, and the conversation read up to then", () => {
    const { state } = fold([followUp("message_read"), arrival()]);
    expect(messageOf(state, received.message_id).seen).toBe(true);
    expect(state.conversations.get(CHAT)?.readUpTo).not.toBeNull();
  });

  test("a reaction taken back (empty value) removes it", () => {
    const sender = { attendee_id: "x", attendee_provider_id: "336@s.whatsapp.net", attendee_name: "Moi" };
    const { state } = fold([arrival(), followUp("message_reaction", { reaction: "❤️", reaction_sender: sender }), followUp("message_reaction", { reaction: "", reaction_sender: sender })]);
    expect(messageOf(state, received.message_id).reactions).toEqual([]);
  });
});

describe("our own sends", () => {
  const SEND = "0d7c0f5e-3b0a-4d8e-9a57-1f2e3d4c5b6a";
  const requested = () => own({ sendId: SEND, unipileChatId: CHAT, recipients: [], text: "Réponse", attachments: [], quoteUnipileMessageId: null, fingerprint: "f", idempotencyKey: null, userId: "u", accountId: "a" }, "MessageSendRequested");
  const sent = () => own({ sendId: SEND, unipileChatId: CHAT, unipileMessageId: "ECHO1", newChat: false }, "MessageSent");
  const echo = () => webhook({ ...received, message_id: "ECHO1", message: "Réponse", is_sender: true, timestamp: "2025-03-15T12:30:00.000Z" });

  test("pending, then sent: one message under the send's id from request to delivery, whether the echo or the answer comes first", () => {
    const pending = fold([requested()]).state;
    expect(pending.messages.get(SEND)).toMatchObject({ id: SEND, status: "pending", arrived: true, isSender: true });

    const answerFirst = fold([requested(), sent(), echo()]).state;
    const echoFirst = fold([requested(), echo(), sent()]).state;
    for (const state of [answerFirst, echoFirst]) {
      // Given the echo first, its row (under the id derived from Unipile's) merged into the send's
      expect(state.messages.get(messagingIds.message("ECHO1")) ?? null).toBeNull();
      expect(state.messages.get(SEND)).toMatchObject({ id: SEND, status: "sent", sendId: SEND, text: "Réponse", unipileMessageId: "ECHO1" });
      expect(messageOf(state, "ECHO1").id).toBe(SEND);
    }
    expect(content(messageOf(answerFirst, "ECHO1"))).toEqual(content(messageOf(echoFirst, "ECHO1")));
  });

  test("answering reads the chat, whether Unipile's answer or the echo comes first", () => {
    for (const order of [[requested(), sent(), echo()], [requested(), echo(), sent()]]) {
      const { state } = fold([webhook(received), ...order]);
      expect(readByAccount(state, received.message_id)).toBe(true);
    }
  });

  test("delivery and read receipts only move the status forward", () => {
    const { state } = fold([requested(), sent(), followUp("message_read", { message_id: "ECHO1", is_sender: true }), followUp("message_delivered", { message_id: "ECHO1", is_sender: true }), echo()]);
    expect(messageOf(state, "ECHO1")).toMatchObject({ status: "read" });
  });

  test("a refused send is failed, with Unipile's reason", () => {
    const failed = own({ sendId: SEND, unipileChatId: CHAT, reason: "upstream", unipile: { status: 422, type: "errors/invalid_recipient", title: "Invalid recipient", detail: "no", kind: "http" } }, "MessageSendFailed");
    const { state } = fold([requested(), failed]);
    expect(state.messages.get(SEND)).toMatchObject({ status: "failed", failure: { status: 422, type: "errors/invalid_recipient" } });
  });
});

describe("conversations", () => {
  test("an owner recorded after the conversation was seen is applied to it", () => {
    const { state, effects } = fold([webhook(received), { type: "AccountConnectionRequested", data: { accountId: "acc", userId: "u1", unipileAccountId: ACCOUNT }, recordedAt: at() }]);
    expect(state.conversations.get(CHAT)).toMatchObject({ userId: "u1", accountId: "acc" });
    expect(effects.owners).toEqual([{ unipileAccountId: ACCOUNT, owner: { accountId: "acc", userId: "u1" } }]);
  });

  test("a message older than our read mark arrives already seen", () => {
    const mark = own({ unipileChatId: CHAT, conversationId: "c", userId: "u", syncedToUnipile: true }, "ConversationMarkedRead");
    const { state } = fold([mark, webhook(received)]);
    expect(readByAccount(state, received.message_id)).toBe(true);
  });

  test("a read mark writes no message: the messages behind it read as seen and the unread count falls", () => {
    // Batch 1: two messages from the contact
    const first = fold([webhook(received), webhook({ ...received, message_id: "LATER", timestamp: "2025-03-15T13:00:00.000Z" })]).state;
    applyCounts(first, new Map(), new Map());
    expect(first.conversations.get(CHAT)?.unreadCount).toBe(2);

    // Batch 2: the rows as stored, then our read mark between the two messages
    const stored = (m: Map<string, unknown>) => new Map([...m].filter(([, row]) => row !== null)) as Map<string, never>;
    const loaded = { conversations: stored(first.conversations) as Map<string, ConversationRow>, messages: stored(first.messages) as Map<string, MessageRow> };
    const second: MessagingState = { conversations: new Map(loaded.conversations), messages: new Map(loaded.messages), owners: new Map() };
    const mark = own({ unipileChatId: CHAT, conversationId: "c", userId: "u", syncedToUnipile: true, at: "2025-03-15T12:30:00.000Z" }, "ConversationMarkedRead");
    fold([mark], second);
    applyCounts(second, loaded.messages, loaded.conversations);

    expect([...second.messages].filter(([key, row]) => row !== loaded.messages.get(key))).toEqual([]);
    expect(readByAccount(second, received.message_id)).toBe(true);
    expect(readByAccount(second, "LATER")).toBe(false);
    expect(second.conversations.get(CHAT)?.unreadCount).toBe(1);
  });

  test("a polled REST message carries its own state (seen, delivered, reactions)", () => {
    const rest = restMessages.items[1] as Json;
    const observed: LoggedEvent = { type: "UnipileMessageObserved", data: { unipileAccountId: ACCOUNT, unipileChatId: rest.chat_id, via: "poll", message: rest, at: at().toISOString() }, recordedAt: at() };
    const { state } = fold([observed]);
    const message = messageOf(state, rest.id as string);
    expect(message).toMatchObject({ arrived: true, isSender: Boolean(rest.is_sender) });
    expect(message.status).toBe(rest.is_sender ? (rest.seen ? "read" : rest.delivered ? "delivered" : "sent") : "received");
  });
});
