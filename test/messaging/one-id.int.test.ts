/**
 * One id per message, from request to delivery: the pending row a send
 * creates (as the event stream shows it), the answer's `messageId`, a 502's
 * `details.messageId` and the row after Unipile's echo are one id, so a
 * client that drew the pending bubble updates it in place. Also after a 503
 * and a retry with the same Idempotency-Key.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openStream, type SseClient, type SseEvent } from "../live/sse-client";
import { createHarness, type Harness } from "../support/harness";
import { connectAccount, conversationOf, type Json, listMessages, newPhone, send } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const messageEvents = (client: SseClient, text: string) =>
  client.events.filter((e) => e.event === "message" && (e.data.message as Json).text === text);
const idOf = (e: SseEvent) => (e.data.message as Json).id as string;
const typesOf = (events: SseEvent[]) => events.map((e) => e.data.type as string);

/** Waits until the stream has shown the send's request, its outcome and Unipile's echo of it. */
async function waitForEcho(client: SseClient, text: string) {
  await client.waitFor(() => {
    const types = typesOf(messageEvents(client, text));
    return types.includes("MessageSendRequested") && types.includes("MessageSent") && types.includes("UnipileWebhookReceived");
  }, 10000);
  return messageEvents(client, text);
}

describe("one id from request to delivery", () => {
  test("the pending stream event, the answer, the outcome and the row after the echo carry the same id", async () => {
    // Given a contact who wrote first (the pending bubble is drawn in their conversation)
    const account = await connectAccount(h);
    const contact = newPhone();
    const chatId = (await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: contact, text: "Coucou" })).chat_id;
    await conversationOf(h, account.userId, chatId);
    const client = await openStream(`${h.url}/api/events/stream`, await h.token(account.userId));
    await client.waitFor((events) => events.some((e) => e.event === "ready"));

    const response = await send(h, account.userId, { content: "Un seul id", recipients: [contact], accountId: account.accountId });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { messageId: string; sendId: string; conversationId: string; message: Json };
    expect(answer.message.id).toBe(answer.messageId);
    expect(answer.sendId).toBe(answer.messageId);

    const events = await waitForEcho(client, "Un seul id");
    expect(events.map(idOf)).toEqual(events.map(() => answer.messageId));
    const echoed = events.find((e) => e.data.type === "UnipileWebhookReceived") as SseEvent;
    expect(echoed.data.message).toMatchObject({ id: answer.messageId, unipileMessageId: answer.message.unipileMessageId, status: "sent" });
    const rows = (await listMessages(h, account.userId, answer.conversationId)).items.filter((m) => m.text === "Un seul id");
    expect(rows.map((m) => m.id)).toEqual([answer.messageId]);
    client.close();
  });

  test("after a 503 (502 with details.messageId) and a retry with the same Idempotency-Key: still one id", async () => {
    const account = await connectAccount(h);
    const chatId = (await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: "Bonjour" })).chat_id;
    const conversation = await conversationOf(h, account.userId, chatId);
    const client = await openStream(`${h.url}/api/events/stream`, await h.token(account.userId));
    await client.waitFor((events) => events.some((e) => e.event === "ready"));
    const body = { content: "Après une panne", recipients: [], accountId: account.accountId, chatId: conversation.id };
    const key = { "Idempotency-Key": `key-${crypto.randomUUID()}` };
    await h.control("POST", "/sandbox/faults", { http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 503, count: 3 }] }); // every attempt the gateway makes

    // When: Unipile is unavailable
    const refused = await send(h, account.userId, body, key);
    expect(refused.status).toBe(502);
    const failedId = ((await refused.json()) as { details: { messageId: string } }).details.messageId;
    await client.waitFor(() => typesOf(messageEvents(client, "Après une panne")).includes("MessageSendFailed"), 10000);

    // Then: the retry answers the same id, and everything after shows it
    const retried = await send(h, account.userId, body, key);
    expect(retried.status).toBe(200);
    const answer = (await retried.json()) as { messageId: string; message: Json };
    expect(answer.messageId).toBe(failedId);
    const events = await waitForEcho(client, "Après une panne");
    expect(typesOf(events)).toContain("MessageSendFailed");
    expect(new Set(events.map(idOf))).toEqual(new Set([failedId]));
    const rows = (await listMessages(h, account.userId, conversation.id)).items.filter((m) => m.text === "Après une panne");
    expect(rows.map((m) => ({ id: m.id, status: m.status }))).toEqual([{ id: failedId, status: "sent" }]);
    client.close();
  });

  test("a refused send's 502 names the id of the failed row", async () => {
    const account = await connectAccount(h);
    const chatId = (await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: "Allô" })).chat_id;
    const conversation = await conversationOf(h, account.userId, chatId);
    await h.control("POST", "/sandbox/faults", { http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 500, count: 1 }] });
    const refused = await send(h, account.userId, { content: "Refusé", recipients: [], accountId: account.accountId, chatId: conversation.id });
    expect(refused.status).toBe(502);
    const { messageId } = ((await refused.json()) as { details: { messageId: string } }).details;
    const rows = (await listMessages(h, account.userId, conversation.id)).items.filter((m) => m.text === "Refusé");
    expect(rows.map((m) => ({ id: m.id, status: m.status }))).toEqual([{ id: messageId, status: "failed" }]);
  });
});
