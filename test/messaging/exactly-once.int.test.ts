/**
 * Nothing lost, nothing doubled: retried and concurrent webhook copies make
 * one message; follow-up events that overtake their message still land on
 * it; a retried or concurrent send with one Idempotency-Key sends once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { connectAccount, conversationOf, type Json, listMessages, type Message, newPhone, send, expectRebuildMatchesLive } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.control("DELETE", "/sandbox/faults");
  await h.close();
});

interface Delivery {
  event: string;
  body: string;
  account_id: string;
}

const postWebhook = (body: string) =>
  h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body });

/** Runs `act` with webhook deliveries held back, and returns the bodies the sandbox would have sent. */
async function heldDeliveries(unipileAccountId: string, act: () => Promise<void>): Promise<Delivery[]> {
  const before = (await h.control<{ items: Delivery[] }>("GET", `/sandbox/deliveries?account_id=${unipileAccountId}`)).items.length;
  await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
  try {
    await act();
  } finally {
    await h.control("DELETE", "/sandbox/faults");
  }
  const all = (await h.control<{ items: Delivery[] }>("GET", `/sandbox/deliveries?account_id=${unipileAccountId}`)).items;
  return all.slice(before).filter((d) => d.event.startsWith("message_"));
}

const incoming = (unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);

describe("webhook copies", () => {
  test("one delivery posted 5 times, then 50 copies at once, is one message", async () => {
    const account = await connectAccount(h);
    let chatId = "";
    const [delivery] = await heldDeliveries(account.unipileAccountId, async () => {
      chatId = (await incoming(account.unipileAccountId, { from: newPhone(), name: "Léa Martin", text: "Une seule fois" })).chat_id;
    });
    if (!delivery) throw new Error("no delivery held");

    const answers: Json[] = [];
    for (let i = 0; i < 5; i++) answers.push((await (await postWebhook(delivery.body)).json()) as Json);
    const concurrent = await Promise.all(Array.from({ length: 50 }, () => postWebhook(delivery.body)));
    expect(concurrent.every((r) => r.status === 200)).toBe(true);
    answers.push(...((await Promise.all(concurrent.map((r) => r.json()))) as Json[]));

    expect(answers.filter((a) => a.duplicate === false)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.position)).size).toBe(1);
    const conversation = await conversationOf(h, account.userId, chatId);
    expect(conversation).toMatchObject({ messageCount: 1, unreadCount: 1 });
    expect((await listMessages(h, account.userId, conversation.id)).items.map((m) => m.text)).toEqual(["Une seule fois"]);
  });

  test("edits, deletions, reactions and reads that arrive before their message change the right message", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();
    const ids: Record<string, string> = {};
    let chatId = "";
    const held = await heldDeliveries(account.unipileAccountId, async () => {
      for (const name of ["edited", "deleted", "reacted", "read"]) {
        const m = await incoming(account.unipileAccountId, { from: contact, name: "Hugo Petit", text: `original ${name}` });
        ids[name] = m.message_id;
        chatId = m.chat_id;
      }
      const own = await h.control<{ message_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/outgoing`, { to: contact, text: "ma réponse" });
      ids.own = own.message_id;
      const on = (id: string | undefined, action: string, body?: Json) =>
        h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/messages/${id}/${action}`, body);
      await on(ids.edited, "edit", { text: "corrected text" });
      await on(ids.deleted, "delete");
      await on(ids.reacted, "reaction", { value: "👍", by: "self" });
      await on(ids.read, "read", { by: "self" });
      await on(ids.own, "delivered");
      await on(ids.own, "read");
    });
    expect(held.length).toBe(11);

    // The follow-ups first, newest first, then the messages themselves.
    const followUps = held.filter((d) => d.event !== "message_received").reverse();
    const arrivals = held.filter((d) => d.event === "message_received");
    for (const d of [...followUps, ...arrivals]) expect((await postWebhook(d.body)).status).toBe(200);
    await h.deps.messaging.fetcher.settled();

    const conversation = await conversationOf(h, account.userId, chatId, (c) => c.messageCount === 5);
    const messages = (await listMessages(h, account.userId, conversation.id)).items;
    const byId = (id: string | undefined) => messages.find((m) => m.unipileMessageId === id) as Message;
    expect(byId(ids.edited)).toMatchObject({ text: "corrected text", edited: true, deleted: false });
    expect(byId(ids.deleted)).toMatchObject({ text: null, deleted: true });
    expect(byId(ids.reacted).reactions.map((r) => r.value)).toEqual(["👍"]);
    expect(byId(ids.read)).toMatchObject({ seen: true, text: "original read" });
    expect(byId(ids.own)).toMatchObject({ isSender: true, status: "read", text: "ma réponse" });
    // The account read and answered: nothing is unread.
    expect(conversation.unreadCount).toBe(0);
  });
});

describe("sends with an Idempotency-Key", () => {
  test("20 concurrent copies and a later retry send one message and answer alike", async () => {
    const account = await connectAccount(h);
    const chatId = (await incoming(account.unipileAccountId, { from: newPhone(), text: "Salut" })).chat_id;
    const conversation = await conversationOf(h, account.userId, chatId);
    const body = { content: "Envoyé une fois", recipients: [], accountId: account.accountId, chatId: conversation.id };
    const key = { "Idempotency-Key": `key-${crypto.randomUUID()}` };

    const responses = await Promise.all(Array.from({ length: 20 }, () => send(h, account.userId, body, key)));
    const answers = (await Promise.all(responses.map((r) => r.json()))) as Json[];
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.messageId)).size).toBe(1);
    expect(answers.filter((a) => a.replayed === false)).toHaveLength(1);
    const retry = (await (await send(h, account.userId, body, key)).json()) as Json;
    expect(retry).toMatchObject({ messageId: answers[0]?.messageId, replayed: true });

    const atUnipile = await h.deps.unipile.gateway.listChatMessages({ chatId });
    if (!atUnipile.ok) throw new Error("listChatMessages failed");
    expect(atUnipile.value.items.filter((m) => m.text === "Envoyé une fois")).toHaveLength(1);
    const ours = await waitFor(async () => {
      const items = (await listMessages(h, account.userId, conversation.id)).items.filter((m) => m.text === "Envoyé une fois");
      return items.length === 1 && items[0]?.status === "sent" ? items : undefined;
    });
    expect(ours[0]?.id).toBe(answers[0]?.messageId as string);
  });

  test("a send Unipile refused without processing it (429) is tried again by the same key, and sent once", async () => {
    const account = await connectAccount(h);
    const chatId = (await incoming(account.unipileAccountId, { from: newPhone(), text: "Salut" })).chat_id;
    const conversation = await conversationOf(h, account.userId, chatId);
    const body = { content: "Après la limite", accountId: account.accountId, chatId: conversation.id };
    const key = { "Idempotency-Key": `key-${crypto.randomUUID()}` };
    await h.control("POST", "/sandbox/faults", { http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 429, retry_after_s: 60, count: 1 }] });

    const limited = await send(h, account.userId, body, key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
    const failedId = ((await limited.json()) as { details: { messageId: string } }).details.messageId;
    expect((await listMessages(h, account.userId, conversation.id)).items.find((m) => m.id === failedId)?.status).toBe("failed");

    const retried = await send(h, account.userId, body, key);
    expect(retried.status).toBe(200);
    const answer = (await retried.json()) as Json;
    expect(answer).toMatchObject({ replayed: false, sendId: failedId });
    expect(((await (await send(h, account.userId, body, key)).json()) as Json).messageId).toBe(answer.messageId as string);

    const atUnipile = await h.deps.unipile.gateway.listChatMessages({ chatId });
    if (!atUnipile.ok) throw new Error("listChatMessages failed");
    expect(atUnipile.value.items.filter((m) => m.text === "Après la limite")).toHaveLength(1);
    const ours = (await listMessages(h, account.userId, conversation.id)).items.filter((m) => m.text === "Après la limite");
    expect(ours.map((m) => m.status)).toEqual(["sent"]);
  });

  test("without a key, two sends are two messages", async () => {
    const account = await connectAccount(h);
    const body = { content: "Deux fois", recipients: [newPhone()], accountId: account.accountId };
    const first = (await (await send(h, account.userId, body)).json()) as Json;
    const second = (await (await send(h, account.userId, body)).json()) as Json;
    expect(first.messageId).not.toBe(second.messageId);
    expect(first.conversationId).toBe(second.conversationId as string);
    const page = await listMessages(h, account.userId, first.conversationId as string);
    expect(page.items.map((m) => m.text)).toEqual(["Deux fois", "Deux fois"]);
  });
});

describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
