/**
 * Bad input on every messaging route: a clear 4xx in the one error shape
 * `{error, code, requestId}` (never a 500), and nothing sent to Unipile nor
 * recorded in the log. A send Unipile refuses answers 502/429 with Unipile's
 * reason, and the message shows as failed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { type ConnectedAccount, connectAccount, type Conversation, conversationOf, errorShape, type Json, listMessages, type Message, newPhone, newUser, send, expectRebuildMatchesLive } from "./support";

const MAX_ATTACHMENT_BYTES = 1024;
const SEND = "/api/unipile/message";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ MAX_ATTACHMENT_BYTES: String(MAX_ATTACHMENT_BYTES) });
});
afterEach(async () => {
  await h.control("DELETE", "/sandbox/faults");
});
afterAll(() => h.close());

// ---------------------------------------------------------------- helpers

/**
 * Bun 1.4.5's `toMatchObject` writes the pattern's asymmetric matchers
 * (`expect.any(String)`) into the received object when it matches, so values
 * read afterwards are matchers: match a copy.
 */
const copy = <T>(value: T): T => structuredClone(value);

const incoming = (unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);

interface Side {
  account: ConnectedAccount;
  conversation: Conversation;
  /** The contact's message (with a PDF attachment). */
  message: Message;
  contact: string;
}

/** A connected account with one conversation whose message carries an attachment. */
async function side(): Promise<Side> {
  const account = await connectAccount(h);
  const contact = newPhone();
  const first = await incoming(account.unipileAccountId, {
    from: contact,
    name: "Chloé Bernard",
    text: "Voici la facture",
    attachments: [{ file_name: "facture.pdf", mimetype: "application/pdf", content_base64: Buffer.from("%PDF-1.4 facture").toString("base64") }],
  });
  const conversation = await conversationOf(h, account.userId, first.chat_id);
  const [message] = (await listMessages(h, account.userId, conversation.id)).items as [Message];
  return { account, conversation, message, contact };
}

/** Two users, each with an account and a conversation. */
const twoUsers = async () => {
  const [me, other] = await Promise.all([side(), side()]);
  return { me, other };
};

/** Asserts the one error shape and status; returns the body. */
async function expectError(response: Response, status: number, code: string): Promise<Json & { details?: unknown }> {
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    throw new Error(`expected a JSON error body, got ${response.status} ${text}`);
  }
  expect(response.headers.get("x-request-id")).toBe(body.requestId as string);
  expect(copy({ status: response.status, body: { ...body } })).toMatchObject({ status, body: errorShape(code) });
  return body;
}

/** Everything Unipile holds for an account (read through the SDK), by message id. */
async function unipileMessages(unipileAccountId: string): Promise<string[]> {
  const page = await h.deps.unipile.gateway.listMessages({ accountId: unipileAccountId, limit: 250 });
  if (!page.ok) throw new Error(`listMessages failed: ${JSON.stringify(page.error)}`);
  return page.value.items.map((m) => m.id).sort();
}

/** The sends the log holds for a user. */
async function sendEvents(userId: string): Promise<string[]> {
  const rows = await h.deps.sql<{ type: string }[]>`
    select e.type from events e
    where e.stream_id in (select stream_id from events where type = 'MessageSendRequested' and data->>'userId' = ${userId})
    order by e.global_position
  `;
  return rows.map((r) => r.type);
}

/** Runs `act`, then checks that neither Unipile nor the log got a send from `userId`, on any of the accounts. */
async function sendsNothing(userId: string, unipileAccountIds: string[], act: () => Promise<void>) {
  const before = await Promise.all(unipileAccountIds.map(unipileMessages));
  const logBefore = await sendEvents(userId);
  await act();
  expect(await Promise.all(unipileAccountIds.map(unipileMessages))).toEqual(before);
  expect(await sendEvents(userId)).toEqual(logBefore);
}

const multipart = (fields: Record<string, string | string[]>, files: { name: string; type: string; bytes: Uint8Array }[] = []) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
  for (const f of files) form.append("attachments", new File([f.bytes], f.name, { type: f.type }));
  return form;
};
const postForm = (as: string | undefined, form: FormData, headers: Record<string, string> = {}) =>
  h.request(SEND, { method: "POST", ...(as ? { as } : {}), body: form, headers });
const postRaw = (as: string | undefined, body: string, contentType?: string) =>
  h.request(SEND, { method: "POST", ...(as ? { as } : {}), body, headers: contentType ? { "content-type": contentType } : {} });

const randomUuid = () => crypto.randomUUID();

// ---------------------------------------------------------------- authentication

describe("without a valid token", () => {
  test("every messaging route answers 401 UNAUTHENTICATED and sends nothing", async () => {
    const { me } = await twoUsers();
    const conversationId = me.conversation.id;
    const attachmentId = me.message.attachments[0]?.id ?? "x";
    const body = { content: "sans jeton", recipients: [], accountId: me.account.accountId, chatId: conversationId };
    await sendsNothing(me.account.userId, [me.account.unipileAccountId], async () => {
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

// ---------------------------------------------------------------- POST /api/unipile/message: the body

describe("POST /api/unipile/message refuses a body it cannot send", () => {
  test("empty content without attachments; content that is only spaces", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      for (const content of ["", "   \n\t "]) {
        const body = await expectError(await send(h, userId, { content, recipients: [], accountId, chatId: me.conversation.id }), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "content", message: expect.any(String) }]);
      }
      // Left out entirely, and in a multipart body without files.
      await expectError(await send(h, userId, { recipients: [me.contact], accountId }), 400, "VALIDATION_FAILED");
      await expectError(await postForm(userId, multipart({ content: "", accountId, chatId: me.conversation.id })), 400, "VALIDATION_FAILED");
    });
  });

  test("an unknown account, a non-UUID account id, and another user's account: 404 / 400, nothing sent on either account", async () => {
    const { me, other } = await twoUsers();
    const accounts = [me.account.unipileAccountId, other.account.unipileAccountId];
    await sendsNothing(me.account.userId, accounts, async () => {
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
        await postForm(me.account.userId, multipart({ content: "Bonjour", accountId: other.account.accountId, chatId: other.conversation.id })),
        404,
        "ACCOUNT_NOT_FOUND",
      );
    });
    expect(await sendEvents(other.account.userId)).toEqual([]);
  });

  test("another user's conversation (or one of my other account's) as chatId: 404 CONVERSATION_NOT_FOUND", async () => {
    const { me, other } = await twoUsers();
    // The same user's second account, with a conversation of its own.
    const second = await connectAccount(h, me.account.userId);
    const secondChat = await incoming(second.unipileAccountId, { from: newPhone(), name: "Paul Girard", text: "Salut" });
    const secondConversation = await conversationOf(h, me.account.userId, secondChat.chat_id);
    const accounts = [me.account.unipileAccountId, other.account.unipileAccountId, second.unipileAccountId];
    await sendsNothing(me.account.userId, accounts, async () => {
      const cases = [
        { chatId: other.conversation.id },
        { chatId: randomUuid() },
        // A conversation of mine, but on another of my accounts than the one named.
        { chatId: secondConversation.id },
      ];
      for (const target of cases) {
        await expectError(await send(h, me.account.userId, { content: "Bonjour", recipients: [], accountId: me.account.accountId, ...target }), 404, "CONVERSATION_NOT_FOUND");
      }
      await expectError(await postForm(me.account.userId, multipart({ content: "Bonjour", accountId: me.account.accountId, chatId: other.conversation.id })), 404, "CONVERSATION_NOT_FOUND");
      const notUuid = await expectError(await send(h, me.account.userId, { content: "Bonjour", accountId: me.account.accountId, chatId: "chat-1" }), 400, "VALIDATION_FAILED");
      expect(notUuid.details).toEqual([{ path: "chatId", message: expect.any(String) }]);
    });
  });

  test("a text over WhatsApp's 65,536 characters is 400 before reaching Unipile; exactly 65,536 (counted in characters, not UTF-16 units) goes", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      const tooLong = await expectError(await send(h, userId, { content: "a".repeat(65_537), recipients: [], accountId, chatId: me.conversation.id }), 400, "VALIDATION_FAILED");
      expect(tooLong.details).toEqual([{ path: "content", message: expect.stringContaining("65536") }]);
      await expectError(await send(h, userId, { content: "é".repeat(65_537), recipients: [me.contact], accountId }), 400, "VALIDATION_FAILED");
      await expectError(await postForm(userId, multipart({ content: "a".repeat(65_537), accountId, chatId: me.conversation.id })), 400, "VALIDATION_FAILED");
    });
    // 65,536 emoji are 131,072 UTF-16 units, and still one WhatsApp message.
    const atLimit = await send(h, userId, { content: "😀".repeat(65_536), recipients: [], accountId, chatId: me.conversation.id });
    expect(atLimit.status).toBe(200);
    const sent = (await atLimit.json()) as { message: Message };
    expect([...(sent.message.text ?? "")].length).toBe(65_536);
  });

  test("an invalid phone number among the recipients is 400 naming its index", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      const invalid = ["not-a-phone", "+33 6", "12345", "0612345678x", "1234567890123456", `${newPhone()}@lid`];
      for (const bad of invalid) {
        const body = await expectError(await send(h, userId, { content: "Bonjour", recipients: [newPhone(), bad], accountId }), 400, "VALIDATION_FAILED");
        expect(body.details).toEqual([{ path: "recipients.1", message: expect.stringContaining(bad) }]);
      }
      // A comma-separated string, and multipart fields, name the index the same way.
      const csv = await expectError(await send(h, userId, { content: "Bonjour", recipients: `${newPhone()}, nope`, accountId }), 400, "VALIDATION_FAILED");
      expect(csv.details).toEqual([{ path: "recipients.1", message: expect.any(String) }]);
      const form = await expectError(await postForm(userId, multipart({ content: "Bonjour", accountId, recipients: [newPhone(), newPhone(), "abc"] })), 400, "VALIDATION_FAILED");
      expect(form.details).toEqual([{ path: "recipients.2", message: expect.any(String) }]);
      const formJson = await expectError(await postForm(userId, multipart({ content: "Bonjour", accountId, recipients: JSON.stringify(["abc", newPhone()]) })), 400, "VALIDATION_FAILED");
      expect(formJson.details).toEqual([{ path: "recipients.0", message: expect.any(String) }]);
      // Not strings at all.
      await expectError(await send(h, userId, { content: "Bonjour", recipients: [33612345678], accountId }), 400, "VALIDATION_FAILED");
    });
  });

  test("neither recipients nor chatId; a platform other than whatsapp; fields of the wrong type", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      for (const body of [{ content: "Bonjour", accountId }, { content: "Bonjour", accountId, recipients: [] }, { content: "Bonjour", accountId, recipients: " , " }]) {
        const answer = await expectError(await send(h, userId, body), 400, "VALIDATION_FAILED");
        expect(answer.details).toEqual([{ path: "recipients", message: expect.any(String) }]);
      }
      for (const platform of ["telegram", "linkedin", ""]) {
        const answer = await expectError(await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id, platform }), 400, "VALIDATION_FAILED");
        expect(answer.details).toEqual([{ path: "platform", message: expect.any(String) }]);
      }
      await expectError(await postForm(userId, multipart({ content: "Bonjour", accountId, chatId: me.conversation.id, platform: "sms" })), 400, "VALIDATION_FAILED");
      for (const body of [
        { content: 42, accountId, chatId: me.conversation.id },
        { content: "Bonjour", accountId: 7, chatId: me.conversation.id },
        { content: "Bonjour", accountId, chatId: me.conversation.id, quoteId: "" },
        { content: "Bonjour", accountId, recipients: [newPhone(), newPhone()], subject: "x".repeat(101) },
      ]) {
        await expectError(await send(h, userId, body), 400, "VALIDATION_FAILED");
      }
      // JSON that is not an object.
      for (const raw of ["null", "[]", '"text"', "42"]) await expectError(await postRaw(userId, raw, "application/json"), 400, "VALIDATION_FAILED");
    });
    // WhatsApp in any case is fine.
    const ok = await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id, platform: "WhatsApp" });
    expect(ok.status).toBe(200);
  });

  test("malformed JSON is 400 MALFORMED_JSON; a body that is neither JSON nor multipart is 415", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      for (const raw of ['{"content": "Bonjour", ', "{content: 'Bonjour'}", "", "\u0000"]) {
        await expectError(await postRaw(userId, raw, "application/json"), 400, "MALFORMED_JSON");
      }
      await expectError(await postRaw(userId, '{"content":', "application/json; charset=utf-8"), 400, "MALFORMED_JSON");
      const valid = JSON.stringify({ content: "Bonjour", accountId, chatId: me.conversation.id });
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/mixed; boundary=x", undefined]) {
        await expectError(await postRaw(userId, valid, type), 415, "UNSUPPORTED_MEDIA_TYPE");
      }
    });
  });

  test("malformed multipart (garbage under a boundary, a truncated body) is 400, never 500", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      const truncated = `--xyz\r\nContent-Disposition: form-data; name="accountId"\r\n\r\n${accountId}\r\n--xyz\r\nContent-Disposition: form-data; name="content"\r\n\r\nBonj`;
      for (const raw of ["this is not multipart at all", "", "--xyz\r\ngarbage\r\n", truncated, "--other\r\n\r\n--other--\r\n"]) {
        const response = await postRaw(userId, raw, "multipart/form-data; boundary=xyz");
        expect(response.status).toBe(400);
        const body = (await response.json()) as Json;
        expect(["MALFORMED_MULTIPART", "VALIDATION_FAILED"]).toContain(body.code as string);
        expect(copy(body)).toMatchObject({ error: expect.any(String), requestId: expect.any(String) });
      }
      // multipart/form-data without a boundary cannot be read either.
      const noBoundary = await postRaw(userId, "content=Bonjour", "multipart/form-data");
      expect(noBoundary.status).toBeGreaterThanOrEqual(400);
      expect(noBoundary.status).toBeLessThan(500);
      expect(((await noBoundary.json()) as Json).requestId).toEqual(expect.any(String));
    });
  });

  test("an `attachments` part that is not a file is 400; an attachment over MAX_ATTACHMENT_BYTES is 413", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      const text = await expectError(
        await postForm(userId, multipart({ content: "Voir pièce jointe", accountId, chatId: me.conversation.id, attachments: "just a string" })),
        400,
        "VALIDATION_FAILED",
      );
      expect(text.details).toEqual([{ path: "attachments", message: expect.any(String) }]);
      const small = { name: "ok.txt", type: "text/plain", bytes: new Uint8Array(10) };
      const big = { name: "big.pdf", type: "application/pdf", bytes: new Uint8Array(MAX_ATTACHMENT_BYTES + 1) };
      await expectError(await postForm(userId, multipart({ content: "Trop gros", accountId, chatId: me.conversation.id }, [big])), 413, "PAYLOAD_TOO_LARGE");
      // One good file does not carry a big one through, whatever the order.
      await expectError(await postForm(userId, multipart({ content: "Trop gros", accountId, chatId: me.conversation.id }, [small, big])), 413, "PAYLOAD_TOO_LARGE");
      await expectError(await postForm(userId, multipart({ accountId, recipients: newPhone() }, [big])), 413, "PAYLOAD_TOO_LARGE");
    });
    // Exactly at the limit is accepted.
    const atLimit = await postForm(userId, multipart({ content: "", accountId, chatId: me.conversation.id }, [{ name: "exact.bin", type: "application/octet-stream", bytes: new Uint8Array(MAX_ATTACHMENT_BYTES) }]));
    expect(atLimit.status).toBe(200);
  });

  test("an account that is not connected: 409 ACCOUNT_NOT_CONNECTED, nothing sent", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await h.control("POST", `/sandbox/accounts/${unipileAccountId}/status`, { message: "CREDENTIALS" });
    await waitFor(async () => {
      const status = (await (await h.request(`/api/unipile/check-status?accountId=${accountId}&wait=2`, { as: userId })).json()) as Json;
      return status.status === "credentials_required";
    }, 10_000);
    await sendsNothing(userId, [unipileAccountId], async () => {
      await expectError(await send(h, userId, { content: "Bonjour", recipients: [], accountId, chatId: me.conversation.id }), 409, "ACCOUNT_NOT_CONNECTED");
      await expectError(await send(h, userId, { content: "Bonjour", recipients: [newPhone()], accountId }), 409, "ACCOUNT_NOT_CONNECTED");
      await expectError(
        await postForm(userId, multipart({ content: "Bonjour", accountId, chatId: me.conversation.id }, [{ name: "a.txt", type: "text/plain", bytes: new Uint8Array(3) }])),
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
    const { me, other } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    // A second conversation of mine.
    const elsewhere = await incoming(unipileAccountId, { from: newPhone(), name: "Inès Roux", text: "Autre fil" });
    const elsewhereConversation = await conversationOf(h, userId, elsewhere.chat_id);
    const [elsewhereMessage] = (await listMessages(h, userId, elsewhereConversation.id)).items as [Message];
    await sendsNothing(userId, [unipileAccountId, other.account.unipileAccountId], async () => {
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

  test("an Idempotency-Key reused with another body: 422 IDEMPOTENCY_KEY_REUSED, and the first send stays the only one", async () => {
    const { me, other } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    const key = `key-${crypto.randomUUID()}`;
    const first = await send(h, userId, { content: "Première", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { messageId: string };
    await sendsNothing(userId, [unipileAccountId], async () => {
      const variants: Json[] = [
        { content: "Autre texte", accountId, chatId: me.conversation.id },
        { content: "Première", accountId, recipients: [me.contact] },
        { content: "Première", accountId, chatId: me.conversation.id, quoteId: me.message.id },
      ];
      for (const body of variants) await expectError(await send(h, userId, body, { "Idempotency-Key": key }), 422, "IDEMPOTENCY_KEY_REUSED");
      await expectError(
        await postForm(userId, multipart({ content: "Première", accountId, chatId: me.conversation.id }, [{ name: "a.txt", type: "text/plain", bytes: new Uint8Array(1) }]), { "Idempotency-Key": key }),
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
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await sendsNothing(userId, [unipileAccountId], async () => {
      for (const key of ["k".repeat(300), "k".repeat(256), "has space", "tab\tkey"]) {
        await expectError(await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id }, { "Idempotency-Key": key }), 400, "VALIDATION_FAILED");
      }
      await expectError(
        await postForm(userId, multipart({ content: "Bonjour", accountId, chatId: me.conversation.id }), { "Idempotency-Key": "x".repeat(300) }),
        400,
        "VALIDATION_FAILED",
      );
    });
    const longest = await send(h, userId, { content: "Bonjour", accountId, chatId: me.conversation.id }, { "Idempotency-Key": "k".repeat(255) });
    expect(longest.status).toBe(200);
  });
});

// ---------------------------------------------------------------- Unipile refuses a send

describe("Unipile refuses a send", () => {
  test("422 invalid_recipient on POST /chats/:id/messages → 502 with Unipile's reason; the message is failed, the log holds MessageSendFailed", async () => {
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    await h.control("POST", "/sandbox/faults", {
      http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 422, type: "errors/invalid_recipient", detail: "The recipient cannot receive messages.", count: 1 }],
    });
    const before = await unipileMessages(unipileAccountId);
    const body = await expectError(await send(h, userId, { content: "Refusé", accountId, chatId: me.conversation.id }), 502, "UPSTREAM_FAILED");
    expect(copy(body.details)).toMatchObject({
      unipile: { status: 422, type: "errors/invalid_recipient", detail: "The recipient cannot receive messages." },
      messageId: expect.any(String),
    });
    expect(await unipileMessages(unipileAccountId)).toEqual(before);

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
    const { me } = await twoUsers();
    const { userId, accountId, unipileAccountId } = me.account;
    const before = await unipileMessages(unipileAccountId);
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
    expect(await unipileMessages(unipileAccountId)).toEqual(before);
  });

  test("a failed send with an Idempotency-Key answers the same failure when retried with that key", async () => {
    const { me } = await twoUsers();
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

// ---------------------------------------------------------------- the reading routes

describe("conversation routes", () => {
  test("bad cursors and limits out of range on both lists are 400", async () => {
    const { me } = await twoUsers();
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
    const { me, other } = await twoUsers();
    const page = await h.request(`/api/conversations?accountId=${other.account.accountId}`, { as: me.account.userId });
    expect(page.status).toBe(200);
    expect(await page.json()).toEqual({ items: [], nextCursor: null });
  });

  test("non-UUID ids are 400; unknown and other users' conversations are 404 CONVERSATION_NOT_FOUND on every route", async () => {
    const { me, other } = await twoUsers();
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

describe("GET /api/messages/:id/attachments/:attachmentId", () => {
  test("a non-UUID message id is 400; unknown or other users' messages 404 MESSAGE_NOT_FOUND; an unknown attachment 404 ATTACHMENT_NOT_FOUND", async () => {
    const { me, other } = await twoUsers();
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
    const plain = await incoming(me.account.unipileAccountId, { from: me.contact, text: "Sans pièce jointe" });
    const plainMessage = await waitFor(async () => (await listMessages(h, userId, me.conversation.id)).items.find((m) => m.unipileMessageId === plain.message_id));
    await expectError(await h.request(url(plainMessage.id, mine), { as: userId }), 404, "ATTACHMENT_NOT_FOUND");
    // The real one works.
    expect((await h.request(url(me.message.id, mine), { as: userId })).status).toBe(200);
  });

  test("Unipile failing the download is 502 with its reason, not 500; an attachment Unipile no longer has is 404", async () => {
    const { me } = await twoUsers();
    const attachmentId = me.message.attachments[0]?.id as string;
    await h.control("POST", "/sandbox/faults", { http: [{ method: "GET", path: "/api/v1/messages/*/attachments/*", status: 500, count: 3 }] });
    const body = await expectError(await h.request(`/api/messages/${me.message.id}/attachments/${attachmentId}`, { as: me.account.userId }), 502, "UPSTREAM_FAILED");
    expect(copy(body.details)).toMatchObject({ unipile: { status: 500 } });
    await h.control("POST", "/sandbox/faults", { http: [{ method: "GET", path: "/api/v1/messages/*/attachments/*", status: 404, count: 1 }] });
    await expectError(await h.request(`/api/messages/${me.message.id}/attachments/${attachmentId}`, { as: me.account.userId }), 404, "ATTACHMENT_NOT_FOUND");
  });
});

describe("a user without accounts", () => {
  test("lists nothing and cannot send", async () => {
    const { me } = await twoUsers();
    const stranger = newUser();
    expect(await (await h.request("/api/conversations", { as: stranger })).json()).toEqual({ items: [], nextCursor: null });
    await sendsNothing(stranger, [me.account.unipileAccountId], async () => {
      await expectError(await send(h, stranger, { content: "Bonjour", accountId: me.account.accountId, chatId: me.conversation.id }), 404, "ACCOUNT_NOT_FOUND");
    });
  });
});

describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
