/**
 * The pure parts of webhook subscriptions: signatures as `standardwebhooks`
 * verifies them, the retry schedule, which addresses are refused, topics and
 * ids, and the subscription's fold.
 */
import { describe, expect, test } from "bun:test";
import { Webhook } from "standardwebhooks";
import { loadConfig } from "../../src/config";
import type { FeedItem } from "../../src/live/feed";
import { wantsTopic } from "../../src/subscriptions/events";
import { backoffMs, nextDelayMs, retryAfterMs, verdictAfterFailure } from "../../src/subscriptions/policy";
import { newSigningSecret, signedHeaders } from "../../src/subscriptions/signing";
import { evolveSubscription } from "../../src/subscriptions/subscription-evolve";
import { eventIdOf, payloadOf, topicOf } from "../../src/subscriptions/topics";
import { checkUrlShape, isBlockedAddress } from "../../src/subscriptions/url-guard";

const settings = { baseMs: 1000, maxMs: 60_000, disableAfterFailures: 5, disableAfterMs: 3 * 86_400_000 };

describe("signatures", () => {
  test("given a secret, when a body is signed, then standardwebhooks verifies it; with two secrets, either verifies", () => {
    const [a, b] = [newSigningSecret(), newSigningSecret()];
    const body = JSON.stringify({ id: "evt_1_2", type: "message.created" });
    const now = Math.floor(Date.now() / 1000);
    expect(new Webhook(a).verify(body, signedHeaders([a], "evt_1_2", now, body))).toEqual(JSON.parse(body));
    const both = signedHeaders([b, a], "evt_1_2", now, body);
    expect(new Webhook(a).verify(body, both)).toBeTruthy();
    expect(new Webhook(b).verify(body, both)).toBeTruthy();
    expect(() => new Webhook(newSigningSecret()).verify(body, both)).toThrow();
    expect(() => new Webhook(a).verify(`${body} `, both)).toThrow();
    expect(() => new Webhook(a).verify(body, { ...both, "webhook-id": "evt_other" })).toThrow();
  });
});

describe("retry schedule", () => {
  test("given failures in a row, the wait doubles from the base, within ±20 %, up to the max", () => {
    expect([1, 2, 3, 4].map((f) => backoffMs(f, settings, 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(1, settings, 0)).toBe(800);
    expect(backoffMs(1, settings, 0.999)).toBeLessThanOrEqual(1200);
    expect(backoffMs(50, settings, 0.5)).toBe(60_000);
  });

  test("Retry-After in seconds or as a date wins when longer than the backoff", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(nextDelayMs(1, 120_000, settings, 0.5)).toBe(120_000);
    expect(nextDelayMs(3, 10, settings, 0.5)).toBe(4000);
  });

  test("410 disables at once; so do the configured failures in a row, or failing for three days", () => {
    const now = new Date("2026-01-04T00:00:00Z");
    const recent = new Date("2026-01-03T23:00:00Z");
    expect(verdictAfterFailure({ statusCode: 410, failures: 1, failingSince: now, now }, settings)).toMatchObject({ disable: true });
    expect(verdictAfterFailure({ statusCode: 503, failures: 4, failingSince: recent, now }, settings)).toEqual({ disable: false });
    expect(verdictAfterFailure({ statusCode: 503, failures: 5, failingSince: recent, now }, settings)).toMatchObject({ disable: true });
    expect(verdictAfterFailure({ statusCode: null, failures: 2, failingSince: new Date("2026-01-01T00:00:00Z"), now }, settings)).toMatchObject({ disable: true });
  });
});

describe("targets", () => {
  test("private, loopback, link-local, unique-local and unspecified addresses are refused; public ones pass", () => {
    for (const a of ["10.0.0.1", "127.0.0.1", "127.8.9.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "0.0.0.0", "::1", "::", "fe80::1", "fc00::1", "fd12::3", "::ffff:10.0.0.1", "::ffff:7f00:1", "not-an-ip"]) {
      expect({ a, blocked: isBlockedAddress(a) }).toEqual({ a, blocked: true });
    }
    for (const a of ["8.8.8.8", "172.32.0.1", "93.184.216.34", "2606:4700::1111"]) expect({ a, blocked: isBlockedAddress(a) }).toEqual({ a, blocked: false });
  });

  test("private targets are allowed by default only in development; SUBSCRIPTIONS_ALLOW_PRIVATE decides otherwise", () => {
    const allow = (env: Record<string, string>) => loadConfig(env).subscriptions.allowPrivate;
    expect(allow({ NODE_ENV: "development" })).toBe(true);
    expect(allow({ NODE_ENV: "test" })).toBe(false);
    expect(allow({ NODE_ENV: "test", SUBSCRIPTIONS_ALLOW_PRIVATE: "true" })).toBe(true);
    expect(allow({ NODE_ENV: "development", SUBSCRIPTIONS_ALLOW_PRIVATE: "false" })).toBe(false);
  });

  test("only http(s) URLs without credentials", () => {
    expect(checkUrlShape("https://hooks.example.com/x").ok).toBe(true);
    expect(checkUrlShape("ftp://hooks.example.com/x").ok).toBe(false);
    expect(checkUrlShape("https://user:pw@hooks.example.com/x").ok).toBe(false);
    expect(checkUrlShape("hooks.example.com").ok).toBe(false);
  });
});

describe("topics and payloads", () => {
  const item = (event: FeedItem["event"], type: string, extra: Partial<FeedItem> = {}): FeedItem => ({
    id: "981-42",
    event,
    data: { type, conversation: { id: "c1" } },
    at: "2026-01-01T00:00:00.000Z",
    orderKey: "conversation:c1",
    ...extra,
  });

  test("feed items get a topic, the event id of their position, and no internal event name", () => {
    expect(topicOf(item("message", "UnipileWebhookReceived", { webhookEvent: "message_received" }))).toBe("message.created");
    expect(topicOf(item("message", "UnipileWebhookReceived", { webhookEvent: "message_reaction" }))).toBe("message.updated");
    expect(topicOf(item("message", "MessageSendRequested"))).toBe("message.created");
    expect(topicOf(item("message", "MessageSent"))).toBe("message.updated");
    expect(topicOf(item("conversation", "ConversationMarkedRead"))).toBe("conversation.updated");
    expect(topicOf(item("account", "AccountStatusReported"))).toBe("account.status_changed");
    expect(topicOf(item("account", "AccountBackfillProgressed"))).toBe("account.history_import.progress");
    expect(topicOf(item("account", "AccountBackfillCompleted"))).toBe("account.history_import.finished");
    expect(eventIdOf("981-42")).toBe("evt_981_42");
    expect(payloadOf(item("conversation", "ConversationMarkedRead"))).toEqual({
      id: "evt_981_42",
      type: "conversation.updated",
      version: 1,
      position: "981-42",
      occurredAt: "2026-01-01T00:00:00.000Z",
      data: { conversation: { id: "c1" } },
    });
  });

  test("groups cover their topics", () => {
    expect(wantsTopic(["message.*"], "message.updated")).toBe(true);
    expect(wantsTopic(["account.*"], "account.history_import.finished")).toBe(true);
    expect(wantsTopic(["message.created"], "message.updated")).toBe(false);
    expect(wantsTopic(["conversation.*"], "message.created")).toBe(false);
  });
});

describe("a subscription's fold", () => {
  test("created, changed, rotated, disabled, re-enabled, deleted", () => {
    const at = { transactionId: "7", globalPosition: 9 };
    const created = evolveSubscription(null, { type: "SubscriptionCreated", data: { subscriptionId: "s", userId: "u", url: "https://x", events: ["message.*"], accountIds: null, description: "", enabled: true, secretVersion: 1, at: "2026-01-01T00:00:00Z" } }, at);
    expect(created).toMatchObject({ id: "s", createdTransactionId: "7", createdPosition: 9, enabled: true });
    const disabled = evolveSubscription(created, { type: "SubscriptionDisabled", data: { subscriptionId: "s", reason: "410", failures: 1, lastError: null, at: "2026-01-02T00:00:00Z" } }, at);
    expect(disabled).toMatchObject({ enabled: false, disabledReason: "410" });
    const enabled = evolveSubscription(disabled, { type: "SubscriptionUpdated", data: { subscriptionId: "s", enabled: true, at: "2026-01-03T00:00:00Z" } }, at);
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, url: "https://x" });
    const rotated = evolveSubscription(enabled, { type: "SubscriptionSecretRotated", data: { subscriptionId: "s", secretVersion: 2, previousValidUntil: "2026-01-04T00:00:00Z", at: "2026-01-03T00:00:00Z" } }, at);
    expect(rotated?.secretVersion).toBe(2);
    expect(evolveSubscription(rotated, { type: "SubscriptionDeleted", data: { subscriptionId: "s", at: "2026-01-05T00:00:00Z" } }, at)).toBeNull();
  });
});
