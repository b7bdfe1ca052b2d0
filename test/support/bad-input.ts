/**
 * Bad-input test support (test/bad-input/): the file's harness with a small
 * attachment limit, two users each with an account and a conversation, the
 * one error shape `{error, code, requestId}` asserted with its request id, and
 * the check that a refused request sent nothing to Unipile and wrote nothing
 * to the log. Typed reads of the messaging API come from test/messaging/support.
 */
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { type ConnectedAccount, connectAccount, type Conversation, conversationOf, errorShape, type Json, listMessages, type Message, newPhone } from "../messaging/support";
import { createHarness, type Harness } from "./harness";

export const MAX_ATTACHMENT_BYTES = 1024;
export const SEND = "/api/unipile/message";

/**
 * Registers the test file's harness (its own database and sandbox, with
 * MAX_ATTACHMENT_BYTES as the attachment limit), hands it to `set` once
 * started, clears the sandbox's faults after each test, and closes it after the file.
 */
export function useBadInputHarness(set: (h: Harness) => void): void {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await createHarness({ MAX_ATTACHMENT_BYTES: String(MAX_ATTACHMENT_BYTES) });
    set(h);
  });
  afterEach(async () => {
    await h?.control("DELETE", "/sandbox/faults");
  });
  afterAll(() => h?.close());
}

/**
 * Bun 1.4.5's `toMatchObject` writes the pattern's asymmetric matchers
 * (`expect.any(String)`) into the received object when it matches, so values
 * read afterwards are matchers: match a copy.
 */
export const copy = <T>(value: T): T => structuredClone(value);

export const randomUuid = () => crypto.randomUUID();

/** A contact's message arriving at Unipile (and from there by webhook). */
export const incoming = (h: Harness, unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);

export interface Side {
  account: ConnectedAccount;
  conversation: Conversation;
  /** The contact's message (with a PDF attachment). */
  message: Message;
  contact: string;
}

/** A connected account with one conversation whose message carries an attachment. */
export async function side(h: Harness): Promise<Side> {
  const account = await connectAccount(h);
  const contact = newPhone();
  const first = await incoming(h, account.unipileAccountId, {
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
export const twoUsers = async (h: Harness) => {
  const [me, other] = await Promise.all([side(h), side(h)]);
  return { me, other };
};

/** Asserts the one error shape and status; returns the body. */
export async function expectError(response: Response, status: number, code: string): Promise<Json & { details?: unknown }> {
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
export async function unipileMessages(h: Harness, unipileAccountId: string): Promise<string[]> {
  const page = await h.deps.unipile.gateway.listMessages({ accountId: unipileAccountId, limit: 250 });
  if (!page.ok) throw new Error(`listMessages failed: ${JSON.stringify(page.error)}`);
  return page.value.items.map((m) => m.id).sort();
}

/** The sends the log holds for a user. */
export async function sendEvents(h: Harness, userId: string): Promise<string[]> {
  const rows = await h.deps.sql<{ type: string }[]>`
    select e.type from events e
    where e.stream_id in (select stream_id from events where type = 'MessageSendRequested' and data->>'userId' = ${userId})
    order by e.global_position
  `;
  return rows.map((r) => r.type);
}

/** Runs `act`, then checks that neither Unipile nor the log got a send from `userId`, on any of the accounts. */
export async function sendsNothing(h: Harness, userId: string, unipileAccountIds: string[], act: () => Promise<void>) {
  const everything = () => Promise.all(unipileAccountIds.map((id) => unipileMessages(h, id)));
  const before = await everything();
  const logBefore = await sendEvents(h, userId);
  await act();
  expect(await everything()).toEqual(before);
  expect(await sendEvents(h, userId)).toEqual(logBefore);
}

export const multipart = (fields: Record<string, string | string[]>, files: { name: string; type: string; bytes: Uint8Array }[] = []) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
  for (const f of files) form.append("attachments", new File([f.bytes], f.name, { type: f.type }));
  return form;
};

/** POSTs a multipart form to the send route, as `as` (or without a token). */
export const postForm = (h: Harness, as: string | undefined, form: FormData, headers: Record<string, string> = {}) =>
  h.request(SEND, { method: "POST", ...(as ? { as } : {}), body: form, headers });

/** POSTs a raw body to the send route with the given content type (or none). */
export const postRaw = (h: Harness, as: string | undefined, body: string, contentType?: string) =>
  h.request(SEND, { method: "POST", ...(as ? { as } : {}), body, headers: contentType ? { "content-type": contentType } : {} });
