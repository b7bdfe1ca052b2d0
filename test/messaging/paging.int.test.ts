/**
 * Keyset paging: 10,000 messages in one conversation, paged with cursors
 * while new ones keep arriving over HTTP, come back each exactly once, in
 * order. The 10,000 are recorded as the webhook route records them under
 * load (group commit: one statement per 500 facts, its largest batch) to
 * keep the file fast; the new ones arrive as real webhooks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { classifyWebhookBody } from "../../src/unipile/payloads";
import { translateWebhook } from "../../src/unipile/ingest/webhook-facts";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { connectAccount, conversationOf, type Json, listConversations, listMessages, newPhone, expectRebuildMatchesLive } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const TOTAL = 10_000;

/** A message_received body like the sandbox's, for another message of the same chat. */
function received(template: Json, n: number, at: Date): Json {
  return { ...template, message_id: `bulk-${n}-${crypto.randomUUID()}`, provider_message_id: `3EB0${n}`, message: `message ${n}`, timestamp: at.toISOString() };
}

describe("paging", () => {
  test("10,000 messages paged while new ones arrive: each exactly once, newest first", async () => {
    const account = await connectAccount(h);
    const first = await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: "premier" });
    const conversation = await conversationOf(h, account.userId, first.chat_id);
    const [delivery] = (await h.control<{ items: { event: string; body: string }[] }>("GET", `/sandbox/deliveries?account_id=${account.unipileAccountId}&event=message_received`)).items;
    const template = JSON.parse(delivery?.body ?? "{}") as Json;

    // Given: 10,000 older messages in the log (every few share a millisecond, so ids break ties)
    const start = Date.parse("2025-01-01T00:00:00.000Z");
    const bodies = Array.from({ length: TOTAL }, (_, n) => received(template, n, new Date(start + Math.floor(n / 3) * 1000)));
    for (let i = 0; i < TOTAL; i += 500) {
      const facts = bodies.slice(i, i + 500).map((body) => {
        const fact = translateWebhook(classifyWebhookBody(body), body);
        if (fact.kind !== "fact" || !fact.dedupeKey) throw new Error("not a messaging fact");
        return { streamId: fact.streamId, type: fact.type, data: fact.data, dedupeKey: fact.dedupeKey, metadata: { source: "webhook" as const, actor: "unipile" } };
      });
      await h.deps.eventStore.appendFacts(facts);
    }
    // ...and in the conversation (a page read waits at most a second for the projection).
    await conversationOf(h, account.userId, first.chat_id, (c) => c.messageCount === TOTAL + 1);

    // When: paging 200 at a time while 100 new messages arrive as webhooks
    let arriving = 0;
    const stream = (async () => {
      for (; arriving < 100; arriving++) {
        const body = received(template, TOTAL + arriving, new Date(Date.now() + arriving));
        const response = await h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body: JSON.stringify(body) });
        expect(response.status).toBe(200);
      }
    })();
    const seen: { id: string; text: string | null; sentAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof listMessages>> = await listMessages(h, account.userId, conversation.id, `limit=200${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.items.map((m) => ({ id: m.id, text: m.text, sentAt: m.sentAt })));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    await stream;

    // Then: every one of the 10,000 once, in (sentAt, id) descending order
    const bulk = seen.filter((m) => m.text?.startsWith("message ") && Number(m.text.slice(8)) < TOTAL);
    expect(bulk).toHaveLength(TOTAL);
    expect(new Set(seen.map((m) => m.id)).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1], seen[i]] as [(typeof seen)[0], (typeof seen)[0]];
      expect(a.sentAt > b.sentAt || (a.sentAt === b.sentAt && a.id > b.id)).toBe(true);
    }
    expect(pages).toBeGreaterThanOrEqual(TOTAL / 200);
    const after = await conversationOf(h, account.userId, first.chat_id, (c) => c.messageCount === TOTAL + 101);
    expect(after.lastMessagePreview).toBe(`message ${TOTAL + 99}`);
  });

  test("conversations page by last activity with a cursor, each once", async () => {
    const account = await connectAccount(h);
    for (let i = 0; i < 7; i++) {
      await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: `chat ${i}` });
    }
    await waitFor(async () => (await listConversations(h, account.userId, `accountId=${account.accountId}`)).items.length === 7);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listConversations>> = await listConversations(h, account.userId, `accountId=${account.accountId}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      names.push(...page.items.map((c) => c.lastMessagePreview ?? ""));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(["chat 6", "chat 5", "chat 4", "chat 3", "chat 2", "chat 1", "chat 0"]);
  });

  test("the projection rebuilt from the log equals the live tables", async () => {
    // Over 10,000 plain messages of one conversation, batches of 100 still hold it across a hundred
    // batches; batches of three took 3,400 transactions (10 s alone, past 30 s on a busy machine).
    await expectRebuildMatchesLive(h, { smallBatch: 100 });
  });
});
