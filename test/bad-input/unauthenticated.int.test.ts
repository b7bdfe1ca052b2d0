/**
 * Every messaging route without a valid token (none, or one that is not ours):
 * 401 UNAUTHENTICATED in the one error shape `{error, code, requestId}`, nothing
 * sent to Unipile nor recorded in the log, and nothing marked read.
 */
import { describe, expect, test } from "bun:test";
import { conversationOf, expectRebuildMatchesLive } from "../messaging/support";
import { expectError, multipart, SEND, sendsNothing, twoUsers, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("without a valid token", () => {
  test("every messaging route answers 401 UNAUTHENTICATED and sends nothing", async () => {
    const { me } = await twoUsers(h);
    const conversationId = me.conversation.id;
    const attachmentId = me.message.attachments[0]?.id ?? "x";
    const body = { content: "sans jeton", recipients: [], accountId: me.account.accountId, chatId: conversationId };
    await sendsNothing(h, me.account.userId, [me.account.unipileAccountId], async () => {
      const requests: [string, RequestInit & { json?: unknown }][] = [
        [SEND, { method: "POST", json: body }],
        [SEND, { method: "POST", body: multipart({ content: "sans jeton", accountId: me.account.accountId, chatId: conversationId }) }],
        [SEND, { method: "POST", body: "not even json", headers: { "content-type": "application/json" } }],
        ["/api/conversations", {}],
        [`/api/conversations/${conversationId}`, {}],
        [`/api/conversations/${conversationId}/messages`, {}],
        [`/api/conversations/${conversationId}/read`, { method: "POST" }],
        [`/api/messages/${me.message.id}/attachments/${attachmentId}`, {}],
      ];
      for (const [path, init] of requests) {
        await expectError(await h.request(path, init), 401, "UNAUTHENTICATED");
        // A token that is not one of ours is no better.
        const headers = new Headers(init.headers);
        headers.set("authorization", "Bearer not.a.jwt");
        await expectError(await h.request(path, { ...init, headers }), 401, "UNAUTHENTICATED");
      }
    });
    // The conversation was not marked read by the refused request.
    expect((await conversationOf(h, me.account.userId, me.conversation.unipileChatId)).unreadCount).toBe(1);
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
