/**
 * Webhook subscriptions through the real app, its real delivery worker and a
 * receiver process over loopback HTTP: signed deliveries that verify with
 * `standardwebhooks`, users kept apart, URLs refused outside development,
 * secret rotation, replays with the same ids, the delivery log, 410 and
 * repeated failures disabling a subscription, and two replicas.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { createSubscriptionWorker } from "../../src/subscriptions";
import { subscriptionStream } from "../../src/subscriptions/events";
import { connectAccount, errorShape, newPhone, newUser } from "../messaging/support";
import { createHarness, type Harness } from "../support/harness";
import { type Json, type Receiver, type Received, startReceiver, subscribe, until, verify } from "./support";

let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await createHarness({
    SUBSCRIPTIONS_POLL_MS: "100",
    SUBSCRIPTIONS_RETRY_BASE_MS: "50",
    SUBSCRIPTIONS_RETRY_MAX_MS: "200",
    SUBSCRIPTIONS_DISABLE_AFTER_FAILURES: "4",
  });
  h.deps.subscriptions.worker.start();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.stop();
  await h?.close();
});

const at = (path: string) => `${receiver.url}${path}`;
const on = (path: string) => receiver.records().filter((r) => r.path === path);
const delivered = (path: string) => on(path).filter((r) => r.status < 300);
const textOf = (r: Received) => ((r.payload.data.message as Json | undefined)?.text as string | undefined) ?? null;
const incoming = (unipileAccountId: string, text: string, from = newPhone()) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, { from, text });

describe("a subscription", () => {
  test("receives the owner's new messages, signed per Standard Webhooks, with a stable id and the public message view", async () => {
    const account = await connectAccount(h);
    const { subscription, secret } = await subscribe(h, account.userId, { url: at("/first"), events: ["message.*"], description: "CRM" });
    expect(secret).toStartWith("whsec_");
    expect(subscription).toMatchObject({ url: at("/first"), events: ["message.*"], enabled: true, accountIds: null, description: "CRM" });

    await incoming(account.unipileAccountId, "Bonjour le webhook");
    const [record] = await until(() => delivered("/first").length > 0 && delivered("/first"), 10_000, "a delivery");
    const r = record as Received;
    expect(verify(secret, r)).toMatchObject({ id: r.id, type: "message.created" });
    expect(r.payload).toMatchObject({ id: r.id, type: "message.created", version: 1 });
    expect(r.id).toBe(`evt_${r.payload.position.replace("-", "_")}`);
    expect(r.payload.data.message).toMatchObject({ text: "Bonjour le webhook", isSender: false });
    expect(r.payload.data.conversation).toMatchObject({ unreadCount: 1 });
    expect(r.body).not.toContain("raw");
    expect(() => verify("whsec_" + Buffer.from("another secret that is long").toString("base64"), r)).toThrow();

    const log = (await (await h.request(`/api/subscriptions/${subscription.id}/deliveries`, { as: account.userId })).json()) as { items: Json[] };
    expect(log.items[0]).toMatchObject({ eventId: r.id, status: "delivered", responseCode: 200, attempt: 1, type: "message.created", error: null });
    expect(log.items[0]?.durationMs).toEqual(expect.any(Number));
  });
});
