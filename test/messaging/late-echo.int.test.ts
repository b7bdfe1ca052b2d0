/**
 * The echo of our reply comes late: Unipile took 2 s to accept the send
 * and its `message_received` echo was held 3 s, so Unipile's answer reached
 * the log first. A message the contact wrote between our request and
 * Unipile's time for the reply was read by the reply, once the echo tells
 * that time.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sendStream } from "../../src/sends/events";
import { uuidV5 } from "../../src/unipile/ingest/ids";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { connectAccount, conversationOf, expectRebuildMatchesLive, type Json, listMessages, newPhone, send } from "./support";

let h: Harness;
beforeAll(async () => {
  // Unipile calls are slowed on purpose below: a timeout well above that delay.
  h = await createHarness({ UNIPILE_TIMEOUT_MS: "10000" });
});
afterAll(async () => {
  await h.control("DELETE", "/sandbox/faults");
  await h.close();
});

const incoming = (unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);

/** Where the log holds an event, and its data. */
async function logged(where: { type?: string; streamId?: string; dedupeKey?: string }) {
  const [row] = await h.deps.sql<{ position: number; type: string; data: Json }[]>`
    select global_position::int as position, type, data from events
    where (${where.type ?? null}::text is null or type = ${where.type ?? null})
      and (${where.streamId ?? null}::text is null or stream_id = ${where.streamId ?? null})
      and (${where.dedupeKey ?? null}::text is null or dedupe_key = ${where.dedupeKey ?? null})
  `;
  return row;
}

test("a contact's message written between our request and Unipile's time for the reply is read once the late echo comes", async () => {
  const account = await connectAccount(h);
  const contact = newPhone();
  // Given a conversation with one unread message from the contact
  const first = await incoming(account.unipileAccountId, { from: contact, name: "Léa Martin", text: "Ma commande est partie ?" });
  const conversation = await conversationOf(h, account.userId, first.chat_id, (c) => c.unreadCount === 1);

  // When we reply while Unipile is slow (2 s on every call)…
  await h.control("POST", "/sandbox/faults", { latency_ms: 2000 });
  const key = crypto.randomUUID();
  const stream = sendStream(uuidV5(`message-send:${account.userId}:${key}`));
  const sending = send(h, account.userId, { content: "Oui, partie hier", chatId: conversation.id, accountId: account.accountId }, { "Idempotency-Key": key });
  // …the contact writes once our request is in the log, while Unipile has not yet taken the reply…
  const requested = await waitFor(() => logged({ type: "MessageSendRequested", streamId: stream }), 10000);
  const between = await incoming(account.unipileAccountId, { from: contact, text: "Et la facture ?" });
  // …and the echo of the reply, the next webhook, is held 3 s.
  await h.control("POST", "/sandbox/faults", { webhooks: { mode: "delay", delay_ms: 3000, count: 1 } });
  const answer = await sending;
  expect(answer.status).toBe(200);
  const reply = ((await answer.json()) as { message: { unipileMessageId: string } }).message;
  const requestedAt = requested.data.at as string;
  await h.control("DELETE", "/sandbox/faults");

  // Then, once the echo is in the projection (the reply moves from the request's time to Unipile's)…
  const messages = await waitFor(async () => {
    const { items } = await listMessages(h, account.userId, conversation.id);
    const echoed = items.find((m) => m.unipileMessageId === reply.unipileMessageId && Date.parse(m.sentAt) !== Date.parse(requestedAt));
    return items.length === 3 && echoed && items;
  }, 15000);
  const sentAtOf = (unipileMessageId: string) => Date.parse(messages.find((m) => m.unipileMessageId === unipileMessageId)?.sentAt ?? "");

  // (the scenario: request < contact's message < Unipile's time for the reply; Unipile's answer logged before the echo)
  expect(Date.parse(requestedAt)).toBeLessThan(sentAtOf(between.message_id));
  expect(sentAtOf(between.message_id)).toBeLessThan(sentAtOf(reply.unipileMessageId));
  const accepted = await logged({ type: "MessageSent", streamId: stream });
  // The message itself, whichever way it came (the echo, or a poll that overtook it: one fact either way).
  const echo = await logged({ dedupeKey: `unipile-message:${reply.unipileMessageId}` });
  expect(accepted && echo && accepted.position < echo.position).toBe(true);

  // …the reply read both messages from the contact.
  const after = await conversationOf(h, account.userId, first.chat_id);
  expect({ unreadCount: after.unreadCount, messageCount: after.messageCount }).toEqual({ unreadCount: 0, messageCount: 3 });
  expect(messages.filter((m) => !m.isSender).map((m) => m.seen)).toEqual([true, true]);
  await expectRebuildMatchesLive(h);
}, 30_000);
