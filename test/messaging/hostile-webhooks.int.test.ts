/**
 * Webhooks whose JSON Postgres cannot take as it is: NUL and lone
 * surrogates in the text, the sender's name, the account, chat and message
 * ids, every JSON type in every field, bytes that are not UTF-8. Each is
 * answered 200 and recorded: with U+FFFD in the event (and in the API), the
 * bytes Unipile sent kept beside it for auditors; a redelivery is one fact.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { storableText } from "../../src/event-store/storable";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { connectAccount, conversationOf, expectRebuildMatchesLive, type Json, listMessages, newPhone } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const FFFD = "\uFFFD";
const HIGH = "\uD83D";
const LOW = "\uDE00";
/** Every JSON type, and the strings Postgres cannot store. */
const VALUES: unknown[] = [null, true, false, 0, -1, 1.5e300, "", "\u0000", HIGH, LOW, `a\u0000${LOW}b`, [], [null, "\u0000", HIGH], {}, { [`k\u0000`]: LOW, nested: [{ [HIGH]: "\u0000" }] }];

interface Ack {
  received: true;
  kind: string;
  duplicate: boolean;
  position: number;
}

/** POSTs these bytes as Unipile does (its secret, a JSON content type, no signature). */
async function deliver(bytes: Uint8Array | string): Promise<Response> {
  return fetch(`${h.url}/api/unipile/webhook`, { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET, "content-type": "application/json" }, body: bytes });
}
async function delivered(body: unknown): Promise<Ack> {
  const response = await deliver(JSON.stringify(body));
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${response.status} ${text} for ${JSON.stringify(body).slice(0, 300)}`);
  return JSON.parse(text) as Ack;
}

async function eventAt(position: number) {
  const [row] = await h.deps.sql<{ type: string; stream_id: string; dedupe_key: string | null; data: Json; metadata: Json; raw: Uint8Array | null }[]>`
    select type, stream_id, dedupe_key, data, metadata, raw from events where global_position = ${position}
  `;
  return row;
}

/** A real message_received body, as the sandbox delivered it, for a contact that wrote `text`. */
async function realDelivery(unipileAccountId: string, incoming: Json) {
  const sent = await h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, incoming);
  const delivery = await waitFor(async () => {
    const { items } = await h.control<{ items: { body: string; attempts: { status: number | null }[] }[] }>(
      "GET",
      `/sandbox/deliveries?event=message_received&account_id=${unipileAccountId}`,
    );
    return items.find((d) => d.body.includes(sent.message_id) && d.attempts.some((a) => a.status !== null));
  }, 10_000);
  return { ...sent, delivery };
}

describe("webhooks from the sandbox", () => {
  test("NUL and lone surrogates in the text and the sender's name: 200, in the log with the bytes sent, in the API with U+FFFD", async () => {
    const account = await connectAccount(h);
    const { chat_id, message_id, delivery } = await realDelivery(account.unipileAccountId, { from: newPhone(), name: `Zo\u0000é ${LOW}`, text: `a\u0000b ${HIGH}!` });
    expect(delivery.attempts.map((a) => a.status)).toEqual([200]);

    const conversation = await conversationOf(h, account.userId, chat_id);
    const [message] = (await listMessages(h, account.userId, conversation.id)).items;
    expect(message).toMatchObject({ text: `a${FFFD}b ${FFFD}!`, sender: { name: `Zo${FFFD}é ${FFFD}` } });

    const stream = await h.request(`/api/audit/streams/${encodeURIComponent(`unipile-chat:${chat_id}`)}`, { as: "auditor", roles: ["auditor"] });
    const { items } = (await stream.json()) as { items: { type: string; dedupeKey: string; metadata: Json; raw: string | null }[] };
    const event = items.find((i) => i.dedupeKey === `unipile-message:${message_id}`);
    // The text, the sender's name, and the same name in the attendee list
    expect(event?.metadata.sanitized).toMatchObject({ replaced: 6, raw: "received" });
    expect((event?.metadata.sanitized as { paths: string[] }).paths).toEqual(expect.arrayContaining(["/data/raw/message", "/data/raw/sender/attendee_name"]));
    expect(Buffer.from(event?.raw ?? "", "base64").toString("utf8")).toBe(delivery.body);
  }, 20_000);
});

describe("webhooks with hostile ids", () => {
  test("NUL or a lone surrogate in the account, chat, message id or sender: 200, recorded with the bytes, projected; a redelivery is one fact", async () => {
    const account = await connectAccount(h);
    const { delivery } = await realDelivery(account.unipileAccountId, { from: newPhone(), text: "modèle" });
    const template = JSON.parse(delivery.body) as Json & { sender: Json };
    const fresh = () => `msg-${crypto.randomUUID()}`;
    const variants: Json[] = [
      { ...template, message_id: `${fresh()}\u0000`, message: "in a chat of mine" },
      { ...template, message_id: fresh(), chat_id: `chat-${crypto.randomUUID()}\u0000${HIGH}` },
      { ...template, message_id: `${fresh()}${LOW}`, chat_id: `chat-${crypto.randomUUID()}`, account_id: `acc-${crypto.randomUUID()}\u0000` },
      { ...template, message_id: fresh(), sender: { ...template.sender, attendee_id: `att\u0000`, attendee_name: HIGH, attendee_provider_id: `\u0000@s.whatsapp.net` } },
    ];
    for (const variant of variants) {
      const bytes = JSON.stringify(variant);
      const ack = await delivered(variant);
      expect(ack).toMatchObject({ received: true, kind: "messaging", duplicate: false });
      const event = await eventAt(ack.position);
      expect(event).toMatchObject({ type: "UnipileWebhookReceived", metadata: { sanitized: { raw: "received" } } });
      expect(Buffer.from(event?.raw ?? []).toString("utf8")).toBe(bytes);
      expect(await delivered(variant)).toMatchObject({ duplicate: true, position: ack.position });

      // In the messaging projection, under the ids as stored (U+FFFD for what Postgres cannot hold)
      const messageId = storableText(variant.message_id as string);
      const row = await waitFor(async () => (await h.deps.sql<{ unipile_chat_id: string; user_id: string | null }[]>`
        select m.unipile_chat_id, c.user_id from messages m left join conversations c on c.id = m.conversation_id where m.unipile_message_id = ${messageId}
      `)[0], 10_000);
      expect(row.unipile_chat_id).toBe(storableText(variant.chat_id as string));
      expect(row.user_id).toBe(variant.account_id === template.account_id ? account.userId : null);
    }
    // The chat with a NUL in its id is one of the user's conversations, shown with U+FFFD
    await conversationOf(h, account.userId, storableText(variants[1]?.chat_id as string));
  }, 30_000);
});

describe("every JSON type in every field", () => {
  test("messaging, account status and hosted-auth bodies, and bodies that are not objects: every one 200 and in the log", async () => {
    const account = await connectAccount(h);
    const { delivery } = await realDelivery(account.unipileAccountId, { from: newPhone(), text: "gabarit" });
    const messaging = JSON.parse(delivery.body) as Json;
    const status = { AccountStatus: { account_id: account.unipileAccountId, account_type: "WHATSAPP", message: "OK" } };
    const hosted = { status: "CREATION_SUCCESS", account_id: account.unipileAccountId, name: "user" };
    const bodies: unknown[] = [...VALUES, "\u0000"];
    for (const key of Object.keys(messaging)) {
      for (const value of VALUES) bodies.push({ ...messaging, message_id: `msg-${crypto.randomUUID()}`, [key]: value });
    }
    for (const value of VALUES) {
      bodies.push({ AccountStatus: { ...status.AccountStatus, message: value } }, { AccountStatus: { ...status.AccountStatus, account_id: value } }, { AccountStatus: value });
      bodies.push({ ...hosted, status: value }, { ...hosted, account_id: value }, { ...hosted, name: value });
      bodies.push({ [`event\u0000`]: value, [HIGH]: value });
    }
    const positions: number[] = [];
    for (const body of bodies) positions.push((await delivered(body)).position);
    const [found] = await h.deps.sql<{ n: number }[]>`select count(distinct global_position)::int as n from events where global_position = any(${positions})`;
    expect(found?.n).toBe(new Set(positions).size);
  }, 60_000);

  test("bytes that are not UTF-8: 200, recorded with U+FFFD and the exact bytes", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"event":"something_new","note":"'), 0xff, 0xfe, 0xc3, ...new TextEncoder().encode('"}')]);
    const response = await deliver(bytes);
    expect(response.status).toBe(200);
    const event = await eventAt(((await response.json()) as Ack).position);
    expect(event?.data.raw).toEqual({ event: "something_new", note: `${FFFD}${FFFD}${FFFD}` });
    expect(event?.metadata.sanitized).toEqual({ replaced: 0, paths: [], invalidUtf8: true, raw: "received" });
    expect([...(event?.raw ?? [])]).toEqual([...bytes]);
  });

  test("the projections rebuilt from this log equal the live tables", async () => {
    await expectRebuildMatchesLive(h);
  }, 60_000);
});
