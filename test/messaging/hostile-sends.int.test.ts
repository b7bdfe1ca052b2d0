/**
 * Sends with text Postgres cannot store, and every JSON type in every field.
 * The choice: a NUL or half a surrogate pair in a field the send carries is
 * refused with 400 VALIDATION_FAILED naming the field, before anything is
 * sent or recorded (never sent as something other than what was written).
 * Nothing answers 5xx; every 4xx has the one error shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness";
import { connectAccount, type ConnectedAccount, conversationOf, type Json, newPhone, send } from "./support";

let h: Harness;
let me: ConnectedAccount;
let chatId: string;
let messageId: string;
beforeAll(async () => {
  h = await createHarness();
  me = await connectAccount(h);
  const first = await h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${me.unipileAccountId}/incoming`, { from: newPhone(), text: "Bonjour" });
  chatId = (await conversationOf(h, me.userId, first.chat_id)).id;
  messageId = first.message_id;
});
afterAll(() => h.close());

const HIGH = "\uD83D";
const LOW = "\uDE00";
const VALUES: unknown[] = [null, true, false, 0, -1, 1.5e300, "", "\u0000", HIGH, LOW, `a\u0000${LOW}`, [], [null, "\u0000"], {}, { [`k\u0000`]: HIGH }];

async function sendRequests(): Promise<number> {
  const [row] = await h.deps.sql<{ n: number }[]>`select count(*)::int as n from events where type = 'MessageSendRequested' and data->>'userId' = ${me.userId}`;
  return row?.n ?? 0;
}

async function expectRefused(response: Response, path: string) {
  const body = (await response.json()) as Json & { details?: { path: string; message: string }[] };
  expect({ status: response.status, code: body.code, requestId: typeof body.requestId, error: typeof body.error }).toEqual({ status: 400, code: "VALIDATION_FAILED", requestId: "string", error: "string" });
  expect(body.details?.map((d) => d.path)).toContain(path);
}

describe("a send with text Postgres cannot store", () => {
  test("JSON: NUL or a lone surrogate in content, subject, quoteId or platform is 400 naming the field; nothing sent or recorded", async () => {
    const before = await sendRequests();
    const base = { accountId: me.accountId, chatId, content: "ok" };
    for (const bad of ["a\u0000b", `emoji ${HIGH}`, `${LOW} cut`]) {
      await expectRefused(await send(h, me.userId, { ...base, content: bad }), "content");
      await expectRefused(await send(h, me.userId, { accountId: me.accountId, recipients: [newPhone(), newPhone()], content: "ok", subject: `Équipe ${bad}` }), "subject");
      await expectRefused(await send(h, me.userId, { ...base, quoteId: `${messageId}${bad}` }), "quoteId");
      await expectRefused(await send(h, me.userId, { ...base, platform: `whatsapp${bad}` }), "platform");
      await expectRefused(await send(h, me.userId, { accountId: me.accountId, recipients: [`+33 6${bad}`], content: "ok" }), "recipients.0");
      expect((await send(h, me.userId, { ...base, chatId: `${chatId}${bad}` })).status).toBe(400);
      expect((await send(h, me.userId, { ...base, accountId: `${me.accountId}${bad}` })).status).toBe(400);
    }
    expect(await sendRequests()).toBe(before);
  });

  test("multipart: a NUL in a field or in an attachment's file name is 400 naming it", async () => {
    const before = await sendRequests();
    const form = (fields: Record<string, string>, fileName = "note.txt") => {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      data.append("attachments", new File([new TextEncoder().encode("x")], fileName, { type: "text/plain" }));
      return data;
    };
    const post = (body: FormData) => h.request("/api/unipile/message", { method: "POST", as: me.userId, body });
    await expectRefused(await post(form({ accountId: me.accountId, chatId, content: "a\u0000b" })), "content");
    await expectRefused(await post(form({ accountId: me.accountId, chatId, content: "ok", quoteId: "\u0000" })), "quoteId");
    await expectRefused(await post(form({ accountId: me.accountId, chatId, content: "ok" }, "no\u0000te.txt")), "attachments.0");
    expect(await sendRequests()).toBe(before);
  });

  test("the same send without the bad characters goes", async () => {
    const response = await send(h, me.userId, { accountId: me.accountId, chatId, content: `emoji ${HIGH}${LOW} entier` });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { message: { text: string } }).message.text).toBe(`emoji ${HIGH}${LOW} entier`);
  });
});

describe("every JSON type in every field of a send", () => {
  test("never 5xx; every 4xx in the error shape", async () => {
    const valid: Json = { accountId: me.accountId, chatId, content: "ok", recipients: [], platform: "whatsapp", quoteId: messageId, subject: "Sujet" };
    const statuses = new Map<number, number>();
    const bodies: unknown[] = [...VALUES];
    for (const key of Object.keys(valid)) for (const value of VALUES) bodies.push({ ...valid, [key]: value });
    for (const body of bodies) {
      const response = await send(h, me.userId, body as Json);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) throw new Error(`${response.status} ${await response.text()} for ${JSON.stringify(body)}`);
      if (response.status >= 400) {
        const error = (await response.json()) as Json;
        expect({ code: typeof error.code, error: typeof error.error, requestId: typeof error.requestId }).toEqual({ code: "string", error: "string", requestId: "string" });
      } else {
        await response.arrayBuffer();
      }
    }
    // Some go (a value the field takes), most are refused, none fails.
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(50);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
  }, 60_000);
});
