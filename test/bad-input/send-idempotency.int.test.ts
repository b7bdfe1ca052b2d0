/**
 * POST /api/unipile/message with a bad Idempotency-Key: one reused with another
 * body (422 IDEMPOTENCY_KEY_REUSED, the first send stays the only one) or an
 * invalid header (400), nothing sent to Unipile nor recorded in the log.
 */
import { describe, expect, test } from "bun:test";
import { expectRebuildMatchesLive, type Json, send } from "../messaging/support";
import { copy, expectError, multipart, postForm, sendsNothing, twoUsers, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("POST /api/unipile/message refuses a body it cannot send", () => {
  test("an Idempotency-Key reused with another body: 422 IDEMPOTENCY_KEY_REUSED, and the first send stays the only one", async () => {
    const { me, other } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    const key = `key-${crypto.randomUUID()}`;
    const first = await send(h, userId, { content: "Première", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { messageId: string };
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      const variants: Json[] = [
        { content: "Autre texte", accountId, chatId: me.conversation.id },
        { content: "Première", accountId, recipients: [me.contact] },
        { content: "Première", accountId, chatId: me.conversation.id, quoteId: me.message.id },
      ];
      for (const body of variants) await expectError(await send(h, userId, body, { "Idempotency-Key": key }), 422, "IDEMPOTENCY_KEY_REUSED");
      await expectError(
        await postForm(h, userId, multipart({ content: "Première", accountId, chatId: me.conversation.id }, [{ name: "a.txt", type: "text/plain", bytes: new Uint8Array(1) }]), { "Idempotency-Key": key }),
        422,
        "IDEMPOTENCY_KEY_REUSED",
      );
      // The same body again is the same answer, not a second send.
      const again = await send(h, userId, { content: "Première", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key });
      expect(again.status).toBe(200);
      expect(copy(await again.json())).toMatchObject({ messageId: firstBody.messageId, replayed: true });
    });
    // Keys belong to their user: another user may use the same one.
    const theirs = await send(h, other.account.userId, { content: "Autre utilisateur", accountId: other.account.accountId, chatId: other.conversation.id }, { "Idempotency-Key": key });
    expect(theirs.status).toBe(200);
    expect(copy(await theirs.json())).toMatchObject({ replayed: false });
  });

  test("an invalid Idempotency-Key header is 400", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      for (const key of ["k".repeat(300), "k".repeat(256), "has space", "tab\tkey"]) {
        await expectError(await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key }), 400, "VALIDATION_FAILED");
      }
      await expectError(
        await postForm(h, userId, multipart({ content: "Bonjour", accountId, chatId: me.conversation.id }), { "Idempotency-Key": "x".repeat(300) }),
        400,
        "VALIDATION_FAILED",
      );
    });
    const longest = await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id }, { "Idempotency-Key": "k".repeat(255) });
    expect(longest.status).toBe(200);
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
