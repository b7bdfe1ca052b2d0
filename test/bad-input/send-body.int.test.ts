/**
 * POST /api/unipile/message with a body it cannot send: the content, the
 * recipients, the fields, malformed JSON and multipart, attachments over
 * MAX_ATTACHMENT_BYTES. A clear 4xx in the one error shape `{error, code, requestId}`
 * (never a 500), and nothing sent to Unipile nor recorded in the log.
 */
import { describe, expect, test } from "bun:test";
import { expectRebuildMatchesLive, type Json, type Message, newPhone, send } from "../messaging/support";
import { copy, expectError, MAX_ATTACHMENT_BYTES, multipart, postForm, postRaw, sendsNothing, twoUsers, useBadInputHarness } from "../support/bad-input";
import type { Harness } from "../support/harness";

let h: Harness;
useBadInputHarness((harness) => {
  h = harness;
});

describe("POST /api/unipile/message refuses a body it cannot send", () => {
  test("empty content without attachments; content that is only spaces", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      for (const content of ["", "   \n\t "]) {
        const body = await expectError(await send(h, userId, { content, recipients: [], accountId, chatId: me.conversation.id }), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "content", message: expect.any(String) }]);
      }
      // Left out entirely, and in a multipart body without files.
      await expectError(await send(h, userId, { recipients: [me.contact], accountId }), 400, "VALIDATION_FAILED");
      await expectError(await postForm(h, userId, multipart({ content: "", accountId, chatId: me.conversation.id })), 400, "VALIDATION_FAILED");
    });
  });

  test("a text over WhatsApp's 65,536 characters is 400 before reaching Unipile; exactly 65,536 (counted in characters, not UTF-16 units) goes", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      const tooLong = await expectError(await send(h, userId, { content: "a".repeat(65_537), recipients: [], accountId, chatId: me.conversation.id }), 400, "VALIDATION_FAILED");
      expect(tooLong.details).toEqual([{ path: "content", message: expect.stringContaining("65536") }]);
      await expectError(await send(h, userId, { content: "é".repeat(65_537), recipients: [me.contact], accountId }), 400, "VALIDATION_FAILED");
      await expectError(await postForm(h, userId, multipart({ content: "a".repeat(65_537), accountId, chatId: me.conversation.id })), 400, "VALIDATION_FAILED");
    });
    // 65,536 emoji are 131,072 UTF-16 units, and still one WhatsApp message.
    const atLimit = await send(h, userId, { content: "😀".repeat(65_536), recipients: [], accountId, chatId: me.conversation.id });
    expect(atLimit.status).toBe(200);
    const sent = (await atLimit.json()) as { message: Message };
    expect([...(sent.message.text ?? "")].length).toBe(65_536);
  });

  test("an invalid phone number among the recipients is 400 naming its index", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      const invalid = ["not-a-phone", "+33 6", "12345", "0612345678x", "1234567890123456", `${newPhone()}@lid`];
      for (const bad of invalid) {
        const body = await expectError(await send(h, userId, { content: "Bonjour", recipients: [newPhone(), bad], accountId }), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "recipients.1", message: expect.stringContaining(bad) }]);
      }
      // A comma-separated string, and multipart fields, name the index the same way.
      const csv = await expectError(await send(h, userId, { content: "Bonjour", recipients: `${newPhone()}, nope`, accountId }), 400, "VALIDATION_FAILED");
      expect(csv.details).toEqual([{ path: "recipients.1", message: expect.any(String) }]);
      const form = await expectError(await postForm(h, userId, multipart({ content: "Bonjour", accountId, recipients: [newPhone(), newPhone(), "abc"] })), 400, "VALIDATION_FAILED");
      expect(form.details).toEqual([{ path: "recipients.2", message: expect.any(String) }]);
      const formJson = await expectError(await postForm(h, userId, multipart({ content: "Bonjour", accountId, recipients: JSON.stringify(["abc", newPhone()]) })), 400, "VALIDATION_FAILED");
      expect(formJson.details).toEqual([{ path: "recipients.0", message: expect.any(String) }]);
      // Not strings at all.
      await expectError(await send(h, userId, { content: "Bonjour", recipients: [33612345678], accountId }), 400, "VALIDATION_FAILED");
    });
  });

  test("neither recipients nor chatId; a platform other than whatsapp; fields of the wrong type", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      for (const body of [{ content: "Bonjour", accountId }, { content: "Bonjour", accountId, recipients: [] }, { content: "Bonjour", accountId, recipients: " , " }]) {
        const answer = await expectError(await send(h, userId, body), 400, "VALIDATION_FAILED");
        expect(answer.details).toEqual([{ path: "recipients", message: expect.any(String) }]);
      }
      for (const platform of ["telegram", "linkedin", ""]) {
        const answer = await expectError(await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id, platform }), 400, "VALIDATION_FAILED");
        expect(answer.details).toEqual([{ path: "platform", message: expect.any(String) }]);
      }
      await expectError(await postForm(h, userId, multipart({ content: "Bonjour", accountId, chatId: me.conversation.id, platform: "sms" })), 400, "VALIDATION_FAILED");
      for (const body of [
        { content: 42, accountId, chatId: me.conversation.id },
        { content: "Bonjour", accountId: 7, chatId: me.conversation.id },
        { content: "Bonjour", accountId, chatId: me.conversation.id, quoteId: "" },
        { content: "Bonjour", accountId, recipients: [newPhone(), newPhone()], subject: "x".repeat(101) },
      ]) {
        await expectError(await send(h, userId, body), 400, "VALIDATION_FAILED");
      }
      // JSON that is not an object.
      for (const raw of ["null", "[]", '"text"', "42"]) await expectError(await postRaw(h, userId, raw, "application/json"), 400, "VALIDATION_FAILED");
    });
    // WhatsApp in any case is fine.
    const ok = await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id, platform: "WhatsApp" });
    expect(ok.status).toBe(200);
  });

  test("malformed JSON is 400 MALFORMED_JSON; a body that is neither JSON nor multipart is 415", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      for (const raw of ['{"content": "Bonjour", ', "{content: 'Bonjour'}", "", "\u0000"]) {
        await expectError(await postRaw(h, userId, raw, "application/json"), 400, "MALFORMED_JSON");
      }
      await expectError(await postRaw(h, userId, '{"content":', "application/json; charset=utf-8"), 400, "MALFORMED_JSON");
      const valid = JSON.stringify({ content: "Bonjour", accountId, chatId: me.conversation.id });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/mixed; boundary=x", undefined]) {
        await expectError(await postRaw(h, userId, valid, type), 415, "UNSUPPORTED_MEDIA_TYPE");
      }
    });
  });

  test("malformed multipart (garbage under a boundary, a truncated body) is 400, never 500", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      const truncated = `--xyz\r\nContent-Disposition: form-data; name="accountId"\r\n\r\n${accountId}\r\n--xyz\r\nContent-Disposition: form-data; name="content"\r\n\r\nBonj`;
      for (const raw of ["this is not multipart at all", "", "--xyz\r\ngarbage\r\n", truncated, "--other\r\n\r\n--other--\r\n"]) {
        const response = await postRaw(h, userId, raw, "multipart/form-data; boundary=xyz");
        expect(response.status).toBe(400);
        const body = (await response.json()) as Json;
        expect(["MALFORMED_MULTIPART", "VALIDATION_FAILED"]).toContain(body.code as string);
        expect(copy(body)).toMatchObject({ error: expect.any(String), requestId: expect.any(String) });
      }
      // multipart/form-data without a boundary cannot be read either.
      const noBoundary = await postRaw(h, userId, "content=Bonjour", "multipart/form-data");
      expect(noBoundary.status).toBeGreaterThanOrEqual(400);
      expect(noBoundary.status).toBeLessThan(500);
      expect(((await noBoundary.json()) as Json).requestId).toEqual(expect.any(String));
    });
  });

  test("an `attachments` part that is not a file is 400; an attachment over MAX_ATTACHMENT_BYTES is 413", async () => {
    const { me } = await twoUsers(h);
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(h, userId, [unipileAccountId], async () => {
      const text = await expectError(
        await postForm(h, userId, multipart({ content: "Voir pièce jointe", accountId, chatId: me.conversation.id, attachments: "just a string" })),
        400,
        "VALIDATION_FAILED",
      );
      expect(text.details).toEqual([{ path: "attachments", message: expect.any(String) }]);
      const small = { name: "ok.txt", type: "text/plain", bytes: new Uint8Array(10) };
      const big = { name: "big.pdf", type: "application/pdf", bytes: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) };
      await expectError(await postForm(h, userId, multipart({ content: "Trop gros", accountId, chatId: me.conversation.id }, [big])), 413, "PAYLOAD_TOO_LARGE");
      // One good file does not carry a big one through, whatever the order.
      await expectError(await postForm(h, userId, multipart({ content: "Trop gros", accountId, chatId: me.conversation.id }, [small, big])), 413, "PAYLOAD_TOO_LARGE");
      await expectError(await postForm(h, userId, multipart({ accountId, recipients: newPhone() }, [big])), 413, "PAYLOAD_TOO_LARGE");
    });
    // Exactly at the limit is accepted.
    const atLimit = await postForm(h, userId, multipart({ content: "", accountId, chatId: me.conversation.id }, [{ name: "exact.bin", type: "application/octet-stream", bytes: new Uint8Array(MAX_ATTACHMENT_BYTES) }]));
    expect(atLimit.status).toBe(200);
  });
});

// The rows this file's requests left behind rebuild the same from the log.
describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
