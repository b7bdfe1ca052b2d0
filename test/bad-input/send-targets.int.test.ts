/**
 * POST /api/unipile/message to what the user may not send to: an unknown or
 * another user's account, a conversation that is not the account's, an account
 * that is not connected, a quoted message from elsewhere, a user without accounts.
 * A clear 4xx in the one error shape, and nothing sent to Unipile nor recorded in the log.
 */
import { describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { connectAccount, conversationOf, expectRebuildMatchesLive, type Json, listMessages, type Message, newPhone, newUser, send } from "../messaging/support";
import { copy, expectError, incoming, multipart, postForm, randomUuid, sendEvents, sendsNothing, twoUsers, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("POST /api/unipile/message refuses a body it cannot send", () => {
  test("an unknown account, a non-UUID account id, and another user's account: 404 / 400, nothing sent on either account", async () => {
    const { me, other } = await twoUsers(h);
    const accounts = [me.account.unipileAccountId, other.account.unipileAccountId];
    await sendsNothing(h, me.account.userId, accounts, async () => {
      await expectError(await send(h, me.account.userId, { content: "Bonjour", recipients: [me.contact], accountId: randomUuid() }), 404, "ACCOUNT_NOT_FOUND");
      const notUuid = await expectError(await send(h, me.account.userId, { content: "Bonjour", recipients: [me.contact], accountId: "acc_123" }), 400, "VALIDATION_FAILED");
      expect(notUuid.details).toEqual([{ path: "accountId", message: expect.any(String) }]);
      // Another user's account, with a phone or with that user's own conversation.
      await expectError(await send(h, me.account.userId, { content: "Bonjour", recipients: [other.contact], accountId: other.account.accountId }), 404, "ACCOUNT_NOT_FOUND");
      await expectError(
        await send(h, me.account.userId, { content: "Bonjour", recipients: [], accountId: other.account.accountId, chatId: other.conversation.id }),
        404,
        "ACCOUNT_NOT_FOUND",
      );
      await expectError(
        await postForm(h, me.account.userId, multipart({ content: "Bonjour", accountId: other.account.accountId, chatId: other.conversation.id })),
        404,
        "ACCOUNT_NOT_FOUND",
      );
    });
    expect(await sendEvents(h, other.account.userId)).toEqual([]);
  });

  test("another user's conversation (or one of my other account's) as chatId: 404 CONVERSATION_NOT_FOUND", async () => {
    const { me, other } = await twoUsers(h);
    // The same user's second account, with a conversation of its own.
    const second = await connectAccount(h, me.account.userId);
    const secondChat = await incoming(h, second.unipileAccountId, { from: newPhone(), name: "Paul Girard", text: "Salut" });
    const secondConversation = await conversationOf(h, me.account.userId, secondChat.chat_id);
    const accounts = [me.account.unipileAccountId, other.account.unipileAccountId, second.unipileAccountId];
    await sendsNothing(h, me.account.userId, accounts, async () => {
      const cases = [
        { chatId: other.conversation.id },
        { chatId: randomUuid() },
        // A conversation of mine, but on another of my accounts than the one named.
        { chatId: secondConversation.id },
      ];
      for (const target of cases) {
        await expectError(await send(h, me.account.userId, { content: "Bonjour", recipients: [], accountId: me.account.accountId, ...target }), 404, "CONVERSATION_NOT_FOUND");
      }
      await expectError(await postForm(h, me.account.userId, multipart({ content: "Bonjour", accountId: me.account.accountId, chatId: other.conversation.id })), 404, "CONVERSATION_NOT_FOUND");
      const notUuid = await expectError(await send(h, me.account.userId, { content: "Bonjour", accountId: me.account.accountId, chatId: "chat-1" }), 400, "VALIDATION_FAILED");
      expect(notUuid.details).toEqual([{ path: "chatId", message: expect.any(String) }]);
    });
  });

  test("an account that is not connected: 409 ACCOUNT_NOT_CONNECTED, nothing sent", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await h.control("POST", `/sandbox/accounts/${unipileAccountId}/status`, { message: "CREDENTIALS" });
    await waitFor(async () => {
      const status = (await (await h.request(`/api/unipile/check-status?accountId=${accountId}&wait=2`, { as: userId })).json()) as Json;
      return status.status === "credentials_required";
    }, 10_000);
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      await expectError(await send(h, userId, { content: "Bonjour", recipients: [], accountId, chatId: me.conversation.id }), 409, "ACCOUNT_NOT_CONNECTED");
      await expectError(await send(h, userId, { content: "Bonjour", recipients: [newPhone()], accountId }), 409, "ACCOUNT_NOT_CONNECTED");
      await expectError(
        await postForm(h, userId, multipart({ content: "Bonjour", accountId, chatId: me.conversation.id }, [{ name: "a.txt", type: "text/plain", bytes: new Uint8Array(3) }])),
        409,
        "ACCOUNT_NOT_CONNECTED",
      );
      await expectError(await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id }, { "Idempotency-Key": "offline-1" }), 409, "ACCOUNT_NOT_CONNECTED");
    });
    const listed = await listMessages(h, userId, me.conversation.id);
    expect(listed.items.map((m) => m.text)).toEqual(["Voici la facture"]);

    // The refusal is not remembered against the key: once the account is back, the same key sends.
    await h.control("POST", `/sandbox/accounts/${unipileAccountId}/status`, { message: "OK" });
    await waitFor(async () => {
      const status = (await (await h.request(`/api/unipile/check-status?accountId=${accountId}&wait=2`, { as: userId })).json()) as Json;
      return status.status === "connected";
    }, 10_000);
    const retried = await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id }, { "Idempotency-Key": "offline-1" });
    expect(retried.status).toBe(200);
    expect(copy(await retried.json())).toMatchObject({ replayed: false, status: "sent" });
  });

  test("a quoteId that is not a message of the conversation: 404 MESSAGE_NOT_FOUND", async () => {
    const { me, other } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    // A second conversation of mine.
    const elsewhere = await incoming(h, unipileAccountId, { from: newPhone(), name: "Inès Roux", text: "Autre fil" });
    const elsewhereConversation = await conversationOf(h, userId, elsewhere.chat_id);
    const [elsewhereMessage] = (await listMessages(h, userId, elsewhereConversation.id)).items as [Message];
    await sendsNothing(h, userId, [unipileAccountId, other.account.unipileAccountId], async () => {
      const quotes = [
        randomUuid(),
        "not-a-message",
        other.message.id, // another user's message
        other.message.unipileMessageId ?? "", // …by Unipile's id
        elsewhereMessage.id, // mine, in another conversation
        elsewhere.message_id,
      ];
      for (const quoteId of quotes) {
        await expectError(await send(h, userId, { content: "En réponse", accountId, chatId: me.conversation.id, quoteId }), 404, "MESSAGE_NOT_FOUND");
      }
      // Quoting when starting a new chat: there is nothing to quote.
      await expectError(await send(h, userId, { content: "En réponse", accountId, recipients: [newPhone()], quoteId: me.message.id }), 404, "MESSAGE_NOT_FOUND");
    });
  });
});

describe("a user without accounts", () => {
  test("lists nothing and cannot send", async () => {
    const { me } = await twoUsers(h);
    const stranger = newUser();
    expect(await (await h.request("/api/conversations", { as: stranger })).json()).toEqual({ items: [], nextCursor: null });
    await sendsNothing(h, stranger, [me.account.unipileAccountId], async () => {
      await expectError(await send(h, stranger, { content: "Bonjour", accountId: me.account.accountId, chatId: me.conversation.id }), 404, "ACCOUNT_NOT_FOUND");
    });
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
