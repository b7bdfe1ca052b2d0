/**
 * POST /api/unipile/message when Unipile refuses the send: 502/429 with
 * Unipile's reason in the one error shape, the message shows as failed, the log
 * holds MessageSendFailed, and a retry with the same Idempotency-Key gets the same failure.
 */
import { describe, expect, test } from "bun:test";
import { expectRebuildMatchesLive, type Json, listMessages, newPhone, send } from "../messaging/support";
import { copy, expectError, twoUsers, unipileMessages, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("Unipile refuses a send", () => {
  test("422 invalid_recipient on POST /chats/:id/messages → 502 with Unipile's reason; the message is failed, the log holds MessageSendFailed", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await h.control("POST", "/sandbox/faults", {
      http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 422, type: "errors/invalid_recipient", detail: "The recipient cannot receive messages.", count: 1 }],
    });
    const before = await unipileMessages(h, unipileAccountId);
    const body = await expectError(await send(h, userId, { content: "Refusé", accountId, chatId: me.conversation.id }), 502, "UPSTREAM_FAILED");
    expect(copy(body.details)).toMatchObject({
      unipile: { status: 422, type: "errors/invalid_recipient", detail: "The recipient cannot receive messages." },
      messageId: expect.any(String),
    });
    expect(await unipileMessages(h, unipileAccountId)).toEqual(before);

    // The message shows as failed, with Unipile's reason.
    const messageId = (body.details as { messageId: string }).messageId;
    const failed = (await listMessages(h, userId, me.conversation.id)).items.find((m) => m.id === messageId);
    expect(copy(failed)).toMatchObject({ text: "Refusé", isSender: true, status: "failed", unipileMessageId: null, sendId: messageId });
    expect(copy(failed?.failure)).toMatchObject({ reason: "upstream", status: 422, type: "errors/invalid_recipient", detail: "The recipient cannot receive messages." });
    const stream = await h.deps.eventStore.readStream(`message-send:${messageId}`);
    expect(stream.map((e) => e.type)).toEqual(["MessageSendRequested", "MessageSendFailed"]);
    expect(copy(stream[1]?.data)).toMatchObject({ reason: "upstream", unipile: { status: 422, type: "errors/invalid_recipient", kind: "http" } });

    // With the fault gone the next send goes through.
    const next = await send(h, userId, { content: "Réessai", accountId, chatId: me.conversation.id });
    expect(next.status).toBe(200);
  });

  test("500 on POST /chats (a new chat) → 502; 429 with a long Retry-After → 429 with Retry-After", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    const before = await unipileMessages(h, unipileAccountId);
    await h.control("POST", "/sandbox/faults", { http: [{ method: "POST", path: "/api/v1/chats", status: 500, count: 1 }] });
    const refused = await expectError(await send(h, userId, { content: "Nouveau fil", accountId, recipients: [newPhone()] }), 502, "UPSTREAM_FAILED");
    expect(copy(refused.details)).toMatchObject({ unipile: { status: 500, type: "errors/unexpected_error" }, messageId: expect.any(String) });
    const sendId = (refused.details as { messageId: string }).messageId;
    expect((await h.deps.eventStore.readStream(`message-send:${sendId}`)).map((e) => e.type)).toEqual(["MessageSendRequested", "MessageSendFailed"]);

    await h.control("POST", "/sandbox/faults", { http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 429, retry_after_s: 120, count: 1 }] });
    const limited = await send(h, userId, { content: "Trop vite", accountId, chatId: me.conversation.id });
    const limitedBody = await expectError(limited, 429, "TOO_MANY_REQUESTS");
    expect(limited.headers.get("retry-after")).toBe("120");
    expect(copy(limitedBody.details)).toMatchObject({ unipile: { status: 429 }, messageId: expect.any(String) });
    const limitedMessage = (await listMessages(h, userId, me.conversation.id)).items.find((m) => m.id === (limitedBody.details as { messageId: string }).messageId);
    expect(copy(limitedMessage)).toMatchObject({ status: "failed", failure: { status: 429 } });
    expect(await unipileMessages(h, unipileAccountId)).toEqual(before);
  });

  test("a failed send with an Idempotency-Key answers the same failure when retried with that key", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId } = me.account;
    const key = `retry-${crypto.randomUUID()}`;
    await h.control("POST", "/sandbox/faults", { http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 500, count: 1 }] });
    const first = await expectError(await send(h, userId, { content: "Une fois", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key }), 502, "UPSTREAM_FAILED");
    await h.control("DELETE", "/sandbox/faults");
    const retried = await expectError(await send(h, userId, { content: "Une fois", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key }), 502, "UPSTREAM_FAILED");
    expect(retried.details).toEqual(first.details as Json);
    const texts = (await listMessages(h, userId, me.conversation.id)).items.filter((m) => m.text === "Une fois");
    expect(texts).toHaveLength(1);
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
