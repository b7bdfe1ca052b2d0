/**
 * Send pacing per WhatsApp account through the real app and the sandbox:
 * a least gap per chat, messages per minute with a burst, and new chats per
 * day with the warm-up quota of a freshly linked account. A paced send is
 * 429 SEND_PACED with Retry-After and RateLimit headers, reaches Unipile not
 * at all (the sandbox's request log), records nothing, and leaves its
 * Idempotency-Key free: after Retry-After the same request succeeds.
 * Waits are kept short by configuration (a 1.5 s gap, 30 messages/minute).
 * The pace lives in Postgres: replicas share it, a restart keeps it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectAccount, conversationOf, errorShape, newPhone, send } from "../messaging/support";
import { createSendPacing, type SendPacing } from "../../src/sends/pacing";
import { createHarness, type Harness } from "../support/harness";
import { incoming } from "../sync/support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    SEND_PER_MINUTE: "30",
    SEND_BURST: "2",
    SEND_CHAT_MIN_GAP_MS: "1500",
    SEND_NEW_CHATS_PER_DAY: "50",
    SEND_NEW_CHATS_PER_DAY_WARMUP: "1",
    SEND_WARMUP_DAYS: "14",
  });
});
afterAll(async () => {
  await h.close();
});

/** POSTs to Unipile's chats (sends and new chats), from the sandbox's side. */
const sendsAtUnipile = async () => (await h.control<{ items: unknown[] }>("GET", "/sandbox/requests?method=POST&path_prefix=/api/v1/chats")).items.length;

const requestedWithKey = async (key: string) =>
  (await h.tdb.sql<{ n: number }[]>`select count(*)::int as n from events where type = 'MessageSendRequested' and data->>'idempotencyKey' = ${key}`)[0]?.n;

async function expectPaced(response: Response, limit: string): Promise<number> {
  expect(response.status).toBe(429);
  expect(await response.json()).toEqual({ ...errorShape("SEND_PACED"), details: { limit, retryAfterSeconds: expect.any(Number) } });
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(response.headers.get("ratelimit-policy")).toStartWith(`"${limit}";q=`);
  expect(response.headers.get("ratelimit")).toBe(`"${limit}";r=0;t=${retryAfter}`);
  return retryAfter;
}

describe("send pacing", () => {
  test("the gap per chat, the account's pace and the warm-up's new chats: 429, nothing sent, and the same request succeeds after Retry-After", async () => {
    // Given: a freshly linked account (in warm-up) with a chat a contact started
    const account = await connectAccount(h);
    const contact = newPhone();
    const chat = await incoming(h, account.unipileAccountId, { from: contact, name: "Marie Dupont", text: "Bonjour" });
    const conversation = await conversationOf(h, account.userId, chat.chat_id);
    const reply = (content: string, key?: string) =>
      send(h, account.userId, { accountId: account.accountId, chatId: conversation.id, content }, key ? { "idempotency-key": key } : {});

    // A first reply goes
    expect((await reply("Bonjour Marie")).status).toBe(200);

    // A second one at once is inside the chat's gap: 429, nothing reaches Unipile, nothing recorded
    const key = crypto.randomUUID();
    const atUnipile = await sendsAtUnipile();
    const gap = await expectPaced(await reply("Je regarde", key), "chat_gap");
    expect(await sendsAtUnipile()).toBe(atUnipile);
    expect(await requestedWithKey(key)).toBe(0);

    // After Retry-After, the same request (same Idempotency-Key) is sent, as a first send
    await Bun.sleep(gap * 1000);
    const retried = await reply("Je regarde", key);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ success: true, replayed: false });
    expect(await sendsAtUnipile()).toBe(atUnipile + 1);

    // The account's pace: a new chat takes the bucket's last token, another at once is refused
    const first = newPhone();
    const second = newPhone();
    const newChat = (phone: string, k: string) => send(h, account.userId, { accountId: account.accountId, recipients: [phone], content: "Bonjour" }, { "idempotency-key": k });
    expect((await newChat(first, crypto.randomUUID())).status).toBe(200);
    const secondKey = crypto.randomUUID();
    const before = await sendsAtUnipile();
    const paced = await expectPaced(await newChat(second, secondKey), "account_rate");
    expect(await sendsAtUnipile()).toBe(before);

    // After Retry-After the pace allows it, but the warm-up allows one new chat a day: refused for about a day
    await Bun.sleep(paced * 1000);
    const warmup = await expectPaced(await newChat(second, secondKey), "new_chats_per_day");
    expect(warmup).toBeGreaterThan(23 * 3600);
    expect(await sendsAtUnipile()).toBe(before);
    expect(await requestedWithKey(secondKey)).toBe(0);

    // Replies in an existing chat are not new chats
    expect((await reply("Merci !")).status).toBe(200);
  });

  test("the pace is kept in Postgres: concurrent sends on two replicas take the burst once, and a restart remembers the day's new chats", async () => {
    // Given: two replicas' pacing on one database
    const settings = h.deps.config.operations.sendPacing;
    const replicas = [createSendPacing(settings, { sql: h.deps.sql }), createSendPacing(settings, { sql: h.deps.sql })];
    const accountId = crypto.randomUUID();
    const linkedAt = new Date(Date.now() - 30 * 86_400_000);

    // When: ten sends to ten chats at once, half on each replica
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (replicas[i % 2] as SendPacing).reserve({ accountId, chatKey: `chat-${i}`, newChat: false, linkedAt })),
    );

    // Then: the burst (2) went, the others were refused by the account's pace
    expect(answers.filter((a) => a === null)).toHaveLength(2);
    expect(answers.filter((a) => a?.limit === "account_rate")).toHaveLength(8);

    // A young account's one new chat of the day is remembered by a replica started afterwards
    const young = crypto.randomUUID();
    const justLinked = new Date();
    expect(await (replicas[0] as SendPacing).reserve({ accountId: young, chatKey: "new-1", newChat: true, linkedAt: justLinked })).toBeNull();
    const restarted = createSendPacing(settings, { sql: h.deps.sql });
    expect(await restarted.reserve({ accountId: young, chatKey: "new-2", newChat: true, linkedAt: justLinked })).toMatchObject({ limit: "new_chats_per_day" });
  });
});
