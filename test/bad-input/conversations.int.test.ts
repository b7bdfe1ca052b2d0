/**
 * The conversation routes (GET /api/conversations, GET /api/conversations/:id,
 * GET /api/conversations/:id/messages, POST /api/conversations/:id/read) with bad
 * cursors, limits and ids, and other users' conversations: a clear 4xx in the one
 * error shape, and a refused read marks nothing read, here or at Unipile.
 */
import { describe, expect, test } from "bun:test";
import { conversationOf, expectRebuildMatchesLive } from "../messaging/support";
import { expectError, randomUuid, twoUsers, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("conversation routes", () => {
  test("bad cursors and limits out of range on both lists are 400", async () => {
    const { me } = await twoUsers(h);
    const { userId } = me.account;
    const lists = ["/api/conversations", `/api/conversations/${me.conversation.id}/messages`];
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const badCursors = [
      "abc",
      "%%%",
      "bm90IGpzb24", // base64url of "not json"
      forged({ at: "2024-01-01T00:00:00Z" }),
      forged(["yesterday", randomUuid()]),
      forged(["2024-01-01T00:00:00.000Z", "not-a-uuid"]),
      forged(["2024-01-01T00:00:00.000Z", randomUuid(), "extra"]),
      "x".repeat(501),
    ];
    for (const path of lists) {
      for (const cursor of badCursors) {
        const body = await expectError(await h.request(`${path}?cursor=${encodeURIComponent(cursor)}`, { as: userId }), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "cursor", message: expect.any(String) }]);
      }
      for (const limit of ["0", "201", "abc", "-1", "1.5", "1e9", ""]) {
        const body = await expectError(await h.request(`${path}?limit=${limit}`, { as: userId }), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "limit", message: expect.any(String) }]);
      }
      for (const limit of ["1", "200"]) expect((await h.request(`${path}?limit=${limit}`, { as: userId })).status).toBe(200);
    }
    const accountFilter = await expectError(await h.request("/api/conversations?accountId=nope", { as: userId }), 400, "VALIDATION_FAILED");
    expect(accountFilter.details).toEqual([{ path: "accountId", message: expect.any(String) }]);
  });

  test("another user's account as the list filter shows nothing of theirs", async () => {
    const { me, other } = await twoUsers(h);
    const page = await h.request(`/api/conversations?accountId=${other.account.accountId}`, { as: me.account.userId });
    expect(page.status).toBe(200);
    expect(await page.json()).toEqual({ items: [], nextCursor: null });
  });

  test("non-UUID ids are 400; unknown and other users' conversations are 404 CONVERSATION_NOT_FOUND on every route", async () => {
    const { me, other } = await twoUsers(h);
    const { userId } = me.account;
    const routes = [
      (id: string) => h.request(`/api/conversations/${id}`, { as: userId }),
      (id: string) => h.request(`/api/conversations/${id}/messages`, { as: userId }),
      (id: string) => h.request(`/api/conversations/${id}/read`, { as: userId, method: "POST" }),
    ];
    for (const route of routes) {
      for (const bad of ["123", "not-a-uuid", other.conversation.unipileChatId, `${randomUuid()}x`]) {
        const body = await expectError(await route(encodeURIComponent(bad)), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "id", message: expect.any(String) }]);
      }
      await expectError(await route(randomUuid()), 404, "CONVERSATION_NOT_FOUND");
      await expectError(await route(other.conversation.id), 404, "CONVERSATION_NOT_FOUND");
    }
    // The other user's conversation is still unread, here and at Unipile: the refused read changed nothing.
    expect((await conversationOf(h, other.account.userId, other.conversation.unipileChatId)).unreadCount).toBe(1);
    const chat = await h.deps.unipile.gateway.getChat(other.conversation.unipileChatId);
    if (!chat.ok) throw new Error("getChat failed");
    expect(chat.value.unread_count).toBe(1);
    const log = await h.deps.sql`select 1 from events where type = 'ConversationMarkedRead' and stream_id = ${`unipile-chat:${other.conversation.unipileChatId}`}`;
    expect(log).toHaveLength(0);
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
