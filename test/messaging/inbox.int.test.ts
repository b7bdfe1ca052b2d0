/**
 * The inbox through HTTP: contacts write in the sandbox, webhooks arrive over
 * real HTTP, the conversations and messages show in the API; replies go out
 * through the API and reach the sandbox (checked through the SDK), and their
 * status follows what the sandbox reports.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { connectAccount, conversationOf, type Json, listMessages, type Message, newPhone, send, expectRebuildMatchesLive } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const incoming = (unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);

describe("a contact writes, the user answers", () => {
  test("the conversation and message appear; the reply reaches the chat and moves sent → delivered → read", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();

    // Given: a contact writes
    const first = await incoming(account.unipileAccountId, { from: contact, name: "Marie Dupont", text: "Bonjour, ma commande ?" });

    // Then: the conversation shows it, unread
    const conversation = await conversationOf(h, account.userId, first.chat_id, (c) => c.name === "Marie Dupont");
    expect(conversation).toMatchObject({ type: "single", unreadCount: 1, messageCount: 1, lastMessagePreview: "Bonjour, ma commande ?", accountId: account.accountId });
    const [message] = (await listMessages(h, account.userId, conversation.id)).items as [Message];
    expect(message).toMatchObject({ text: "Bonjour, ma commande ?", isSender: false, status: "received", unipileMessageId: first.message_id });
    expect(message.sender).toMatchObject({ name: "Marie Dupont", phone: contact });

    // When: the user answers through the API
    const response = await send(h, account.userId, { content: "Elle est partie ce matin.", recipients: [], accountId: account.accountId, chatId: conversation.id });
    expect(response.status).toBe(200);
    const sent = (await response.json()) as { success: boolean; messageId: string; conversationId: string; message: Message };
    expect(sent).toMatchObject({ success: true, conversationId: conversation.id });
    expect(sent.message).toMatchObject({ text: "Elle est partie ce matin.", isSender: true, status: "sent" });

    // Then: the sandbox chat has it (read through the SDK), and the API shows it once
    const atUnipile = await h.deps.unipile.gateway.listChatMessages({ chatId: first.chat_id });
    if (!atUnipile.ok) throw new Error("listChatMessages failed");
    const reply = atUnipile.value.items.find((m) => m.text === "Elle est partie ce matin.");
    expect(reply?.is_sender).toBe(true);
    expect(sent.message.unipileMessageId).toBe(reply?.id ?? "missing");
    const afterReply = await waitFor(async () => {
      const page = await listMessages(h, account.userId, conversation.id);
      return page.items.length === 2 ? page.items : undefined;
    });
    expect(afterReply.map((m) => m.text)).toEqual(["Elle est partie ce matin.", "Bonjour, ma commande ?"]);
    const replied = await conversationOf(h, account.userId, first.chat_id);
    expect(replied).toMatchObject({ unreadCount: 0, messageCount: 2, lastMessagePreview: "Elle est partie ce matin." });

    // When: the contact's phone receives it, then reads it
    await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/messages/${reply?.id}/delivered`);
    await waitFor(async () => (await listMessages(h, account.userId, conversation.id)).items[0]?.status === "delivered");
    await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/messages/${reply?.id}/read`);
    const read = await waitFor(async () => {
      const top = (await listMessages(h, account.userId, conversation.id)).items[0];
      return top?.status === "read" ? top : undefined;
    });
    expect(read.id).toBe(sent.messageId);
  });
});

describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
