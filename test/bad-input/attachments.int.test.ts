/**
 * GET /api/messages/:id/attachments/:attachmentId with bad ids, other users'
 * messages and unknown attachments, and with Unipile failing the download: a clear
 * 4xx, or 502 with Unipile's reason, in the one error shape (never a 500).
 */
import { describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { expectRebuildMatchesLive, listMessages } from "../messaging/support";
import { copy, expectError, incoming, randomUuid, twoUsers, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("GET /api/messages/:id/attachments/:attachmentId", () => {
  test("a non-UUID message id is 400; unknown or other users' messages 404 MESSAGE_NOT_FOUND; an unknown attachment 404 ATTACHMENT_NOT_FOUND", async () => {
    const { me, other } = await twoUsers(h);
    const { userId } = me.account;
    const mine = me.message.attachments[0]?.id as string;
    const theirs = other.message.attachments[0]?.id as string;
    expect(mine).toEqual(expect.any(String));
    const url = (messageId: string, attachmentId: string) => `/api/messages/${messageId}/attachments/${encodeURIComponent(attachmentId)}`;

    const notUuid = await expectError(await h.request(url("msg-1", mine), { as: userId }), 400, "VALIDATION_FAILED");
    expect(notUuid.details).toEqual([{ path: "id", message: expect.any(String) }]);
    await expectError(await h.request(url(me.message.unipileMessageId ?? "x", mine), { as: userId }), 400, "VALIDATION_FAILED");
    await expectError(await h.request(url(me.message.id, "a".repeat(501)), { as: userId }), 400, "VALIDATION_FAILED");

    await expectError(await h.request(url(randomUuid(), mine), { as: userId }), 404, "MESSAGE_NOT_FOUND");
    await expectError(await h.request(url(other.message.id, theirs), { as: userId }), 404, "MESSAGE_NOT_FOUND");
    // Another message's attachment, or an id that exists nowhere.
    await expectError(await h.request(url(me.message.id, theirs), { as: userId }), 404, "ATTACHMENT_NOT_FOUND");
    await expectError(await h.request(url(me.message.id, "att-unknown"), { as: userId }), 404, "ATTACHMENT_NOT_FOUND");
    // A message without attachments.
    const plain = await incoming(h, me.account.unipileAccountId, { from: me.contact, text: "Sans pièce jointe" });
    const plainMessage = await waitFor(async () => (await listMessages(h, userId, me.conversation.id)).items.find((m) => m.unipileMessageId === plain.message_id));
    await expectError(await h.request(url(plainMessage.id, mine), { as: userId }), 404, "ATTACHMENT_NOT_FOUND");
    // The real one works.
    expect((await h.request(url(me.message.id, mine), { as: userId })).status).toBe(200);
  });

  test("Unipile failing the download is 502 with its reason, not 500; an attachment Unipile no longer has is 404", async () => {
    const { me } = await twoUsers(h);
    const attachmentId = me.message.attachments[0]?.id as string;
    await h.control("POST", "/sandbox/faults", { http: [{ method: "GET", path: "/api/v1/messages/*/attachments/*", status: 500, count: 3 }] });
    const body = await expectError(await h.request(`/api/messages/${me.message.id}/attachments/${attachmentId}`, { as: me.account.userId }), 502, "UPSTREAM_FAILED");
    expect(copy(body.details)).toMatchObject({ unipile: { status: 500 } });
    await h.control("POST", "/sandbox/faults", { http: [{ method: "GET", path: "/api/v1/messages/*/attachments/*", status: 404, count: 1 }] });
    await expectError(await h.request(`/api/messages/${me.message.id}/attachments/${attachmentId}`, { as: me.account.userId }), 404, "ATTACHMENT_NOT_FOUND");
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
