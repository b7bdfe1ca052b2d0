/**
 * A receiver that is down while 2,000 messages arrive (answering 503, then
 * refusing connections) gets every event once it is back: each event id
 * acknowledged exactly once, retries under the same webhook-id, every
 * signature verified with `standardwebhooks`, and each conversation's events
 * in log order.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectAccount, newPhone } from "../messaging/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { type Json, type Receiver, type Received, startReceiver, subscribe, until, verify, webhookTemplate } from "./support";

const CHATS = 10;
const PER_CHAT = 200;

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await createHarness({
    SUBSCRIPTIONS_POLL_MS: "100",
    SUBSCRIPTIONS_RETRY_BASE_MS: "50",
    SUBSCRIPTIONS_RETRY_MAX_MS: "300",
    SUBSCRIPTIONS_DISABLE_AFTER_FAILURES: "100000",
    SUBSCRIPTIONS_MAX_IN_FLIGHT: "16",
  });
  h.deps.subscriptions.worker.start();
  receiver = await startReceiver({ status: 503 });
});
afterAll(async () => {
  await receiver?.stop();
  await h?.close();
});

const positionOf = (r: Received) => r.payload.position.split("-").map(BigInt) as [bigint, bigint];
const later = (a: Received, b: Received) => {
  const [ax, ap] = positionOf(a);
  const [bx, bp] = positionOf(b);
  return bx > ax || (bx === ax && bp > ap);
};

describe("an outage of the receiver", () => {
  test("2,000 messages while it answers 503 and then refuses connections: all delivered once it is back, verified, once each, in order per conversation", async () => {
    const account = await connectAccount(h);
    const templates: Json[] = [];
    for (let c = 0; c < CHATS; c++) {
      const first = await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: `chat ${c}` });
      templates.push(await webhookTemplate(h, account.unipileAccountId, first.chat_id));
    }
    const { subscription, secret } = await subscribe(h, account.userId, { url: `${receiver.url}/hooks`, events: ["message.created"] });

    // Given: the receiver answers 503 while the messages arrive through the webhook route
    const sent = new Set<string>();
    const bodies = templates.flatMap((template, c) =>
      Array.from({ length: PER_CHAT }, (_, i) => {
        const id = `outage-${c}-${i}-${crypto.randomUUID()}`;
        sent.add(id);
        return JSON.stringify({ ...template, message_id: id, message: `message ${i} of chat ${c}`, timestamp: new Date(Date.now() + i).toISOString() });
      }),
    );
    for (let i = 0; i < bodies.length; i += 25) {
      const responses = await Promise.all(
        bodies.slice(i, i + 25).map((body) => h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body })),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
    }
    await until(() => receiver.records().filter((r) => r.status === 503).length >= 3, 20_000, "503 answers");

    // When: it goes away entirely (connections refused), then comes back
    await receiver.stop();
    const failedAttempts = async () =>
      (await h.deps.sql<{ n: number }[]>`select count(*)::int as n from subscription_deliveries where subscription_id = ${subscription.id} and status_code is null`)[0]?.n ?? 0;
    await until(async () => (await failedAttempts()) >= 2, 20_000, "refused connections");
    await receiver.restart({ status: 200 });
    const backAt = performance.now();

    // Then
    const isBurst = (r: Received) => sent.has(((r.payload.data.message as Json | undefined)?.unipileMessageId as string) ?? "");
    await until(() => receiver.acknowledged() >= CHATS * PER_CHAT, 90_000, "2,000 acknowledged deliveries");
    const acknowledged = await until(() => {
      const ok = receiver.records().filter((r) => r.status === 200 && isBurst(r));
      return ok.length >= CHATS * PER_CHAT && ok;
    }, 90_000, "every message delivered");
    const drainMs = Math.round(performance.now() - backAt);
    await h.deps.subscriptions.worker.stop();
    const all = receiver.records();
    const ok = all.filter((r) => r.status === 200 && isBurst(r));
    expect(ok).toHaveLength(CHATS * PER_CHAT);
    expect(acknowledged.length).toBe(ok.length);
    expect(new Set(ok.map((r) => r.id)).size).toBe(CHATS * PER_CHAT);
    expect(new Set(ok.map((r) => (r.payload.data.message as Json).unipileMessageId))).toEqual(sent);
    for (const r of ok) {
      expect(r.id).toBe(r.payload.id);
      verify(secret, r);
    }
    const refused = all.filter((r) => r.status === 503);
    const okIds = new Set(ok.map((r) => r.id));
    expect(refused.length).toBeGreaterThan(0);
    const allOkIds = new Set(all.filter((r) => r.status === 200).map((r) => r.id));
    expect(refused.filter((r) => !allOkIds.has(r.id))).toEqual([]);

    const byConversation = new Map<string, Received[]>();
    for (const r of ok) {
      const key = (r.payload.data.conversation as Json).id as string;
      byConversation.set(key, [...(byConversation.get(key) ?? []), r]);
    }
    expect(byConversation.size).toBe(CHATS);
    for (const list of byConversation.values()) {
      const outOfOrder = list.filter((r, i) => i > 0 && !later(list[i - 1] as Received, r));
      expect(outOfOrder).toEqual([]);
    }
    const attempts = () => h.deps.sql<{ outcome: string; code: number | null; n: number }[]>`
      select outcome, status_code as code, count(*)::int as n from subscription_deliveries
      where subscription_id = ${subscription.id} and event_id = any(${[...okIds]}) group by 1, 2 order by 1, 2
    `;
    // The receiver has the last requests before the worker records their answers: wait for the records.
    const logged = await until(async () => {
      const rows = await attempts();
      return (rows.find((l) => l.outcome === "delivered")?.n ?? 0) >= CHATS * PER_CHAT && rows;
    }, 10_000, "the delivery records");
    expect(logged.find((l) => l.outcome === "delivered")?.n).toBe(CHATS * PER_CHAT);
    const failed = await h.deps.sql<{ code: number | null }[]>`
      select distinct status_code as code from subscription_deliveries where subscription_id = ${subscription.id} and outcome = 'failed' order by 1
    `;
    expect(failed.map((f) => f.code)).toEqual([503, null]);
    console.info(`outage: ${ok.length} delivered in ${drainMs} ms after the receiver came back, ${all.length - ok.length} other requests, attempts ${JSON.stringify(logged)}, failed codes ${JSON.stringify(failed)}`);
  }, 180_000);
});
