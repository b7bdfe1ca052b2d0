/**
 * Webhook subscriptions through the real app, its real delivery worker and a
 * receiver process over loopback HTTP: signed deliveries that verify with
 * `standardwebhooks`, users kept apart, URLs refused outside development,
 * secret rotation, replays with the same ids, the delivery log, 410 and
 * repeated failures disabling a subscription, and two replicas.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createApp } from "../../src/app";
import { createSubscriptionWorker } from "../../src/subscriptions";
import { subscriptionStream } from "../../src/subscriptions/events";
import { connectAccount, errorShape, newPhone, newUser } from "../messaging/support";
import { createHarness, type Harness } from "../support/harness";
import { type Json, type Receiver, type Received, startReceiver, subscribe, until, verify } from "./support";

// Each test waits for deliveries over real HTTP on a shared, loaded machine.
setDefaultTimeout(30_000);

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

    // The receiver has the request before the worker records its answer: wait for the record.
    const deliveries = async () => (await (await h.request(`/api/subscriptions/${subscription.id}/deliveries`, { as: account.userId })).json()) as { items: Json[] };
    const log = await until(async () => { const page = await deliveries(); return page.items.length > 0 && page; }, 10_000, "the delivery record");
    expect(log.items[0]).toMatchObject({ eventId: r.id, status: "delivered", responseCode: 200, attempt: 1, type: "message.created", error: null });
    expect(log.items[0]?.durationMs).toEqual(expect.any(Number));

    const ready = (await (await h.app.request("/ready")).json()) as { subscriptions: Json[] };
    expect(ready.subscriptions).toContainEqual({ subscriptionId: subscription.id, pendingEvents: 0, lagMs: 0, failures: 0 });
    const shown = (await (await h.request(`/api/subscriptions/${subscription.id}`, { as: account.userId })).json()) as Json;
    expect(shown.delivery).toMatchObject({ pending: 0, lagMs: 0, failures: 0, checkpoint: expect.stringMatching(/^\d+-\d+$/) });
  });
});

describe("account events", () => {
  test("account.* receives an account's status change with the account view; message.* does not", async () => {
    const account = await connectAccount(h);
    const { secret } = await subscribe(h, account.userId, { url: at("/accounts"), events: ["account.*"] });
    await subscribe(h, account.userId, { url: at("/messages-only"), events: ["message.*"] });
    await incoming(account.unipileAccountId, "avant le statut");
    await until(() => delivered("/messages-only").some((d) => textOf(d) === "avant le statut"), 10_000, "the message");
    await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/status`, { message: "CREDENTIALS" });
    const r = await until(() => delivered("/accounts").find((d) => (d.payload.data.account as Json | undefined)?.status === "credentials_required"), 10_000, "the status change");
    expect(r.payload).toMatchObject({ type: "account.status_changed", data: { account: { accountId: account.accountId, connected: false } } });
    expect(verify(secret, r)).toBeTruthy();
    expect(on("/accounts").filter((d) => !d.payload.type.startsWith("account."))).toEqual([]);
    expect(on("/messages-only").map((d) => d.payload.type)).toEqual(["message.created"]);
  });
});

describe("users and targets", () => {
  test("user B's subscription never receives user A's events, and B cannot see or use A's subscription or accounts", async () => {
    const a = await connectAccount(h);
    const b = await connectAccount(h);
    const subA = await subscribe(h, a.userId, { url: at("/iso-a"), events: ["message.*", "conversation.*", "account.*"] });
    const subB = await subscribe(h, b.userId, { url: at("/iso-b"), events: ["message.*", "conversation.*", "account.*"] });

    await incoming(a.unipileAccountId, "pour A seulement");
    await incoming(b.unipileAccountId, "pour B");
    await until(() => delivered("/iso-a").some((r) => textOf(r) === "pour A seulement") && delivered("/iso-b").some((r) => textOf(r) === "pour B"), 10_000, "both deliveries");
    await incoming(b.unipileAccountId, "B encore");
    await until(() => delivered("/iso-b").some((r) => textOf(r) === "B encore"), 10_000, "B's second message");

    expect(on("/iso-b").filter((r) => r.body.includes(a.unipileAccountId) || r.body.includes("pour A"))).toEqual([]);
    expect(on("/iso-a").filter((r) => r.body.includes(b.unipileAccountId) || r.body.includes("pour B"))).toEqual([]);
    for (const r of on("/iso-b")) expect(verify(subB.secret, r)).toBeTruthy();

    for (const [method, path] of [["GET", ""], ["PATCH", ""], ["DELETE", ""], ["GET", "/deliveries"], ["POST", "/test"], ["POST", "/rotate-secret"], ["POST", "/replay"]] as const) {
      const json = method === "PATCH" ? { description: "mine now" } : path === "/replay" ? { from: "1-1" } : undefined;
      const response = await h.request(`/api/subscriptions/${subA.subscription.id}${path}`, { method, as: b.userId, json });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      expect(await response.json()).toEqual(errorShape("SUBSCRIPTION_NOT_FOUND"));
    }
    const list = (await (await h.request("/api/subscriptions", { as: b.userId })).json()) as { items: Json[] };
    expect(list.items.map((s) => s.id)).toEqual([subB.subscription.id]);
    const foreignAccount = await h.request("/api/subscriptions", { method: "POST", as: b.userId, json: { url: at("/x"), events: ["message.*"], accountIds: [a.accountId] } });
    expect(foreignAccount.status).toBe(400);
    expect(await foreignAccount.json()).toEqual({ ...errorShape("VALIDATION_FAILED"), details: expect.any(Array) });
  });

  test("an account filter keeps only that account's events", async () => {
    const owner = newUser();
    const first = await connectAccount(h, owner);
    const second = await connectAccount(h, owner);
    const { subscription } = await subscribe(h, owner, { url: at("/filtered"), events: ["message.created"], accountIds: [first.accountId] });
    expect(subscription.accountIds).toEqual([first.unipileAccountId]);
    await incoming(second.unipileAccountId, "autre compte");
    await incoming(first.unipileAccountId, "bon compte");
    await until(() => delivered("/filtered").some((r) => textOf(r) === "bon compte"), 10_000, "the filtered account's message");
    expect(on("/filtered").map(textOf)).toEqual(["bon compte"]);
  });

  test("outside development, private, loopback and link-local URLs are refused (SSRF), and so is anything but http(s)", async () => {
    const strict = createApp({ ...h.deps, config: { ...h.deps.config, subscriptions: { ...h.deps.config.subscriptions, allowPrivate: false } } });
    const token = await h.token(newUser());
    const targets = [
      "http://127.0.0.1:8080/hook",
      "http://10.1.2.3/hook",
      "http://172.16.0.1/hook",
      "http://192.168.1.10/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://0.0.0.0/hook",
      "http://[::1]/hook",
      "http://[fe80::1]/hook",
      "http://[fd00::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "ftp://8.8.8.8/hook",
      "not a url",
    ];
    for (const url of targets) {
      const response = await strict.request("/api/subscriptions", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ url, events: ["message.*"] }),
      });
      expect({ url, status: response.status }).toEqual({ url, status: 400 });
      expect(await response.json()).toMatchObject(errorShape("VALIDATION_FAILED"));
    }
    const bad = await h.request("/api/subscriptions", { method: "POST", as: newUser(), json: { url: at("/x"), events: ["message.everything"] } });
    expect(bad.status).toBe(400);
  });
});

describe("secrets, tests and replays", () => {
  test("after a rotation, deliveries verify with the old secret and the new one during the overlap; the test ping verifies too", async () => {
    const account = await connectAccount(h);
    const { subscription, secret: oldSecret } = await subscribe(h, account.userId, { url: at("/rotation"), events: ["message.*"] });
    const rotated = await h.request(`/api/subscriptions/${subscription.id}/rotate-secret`, { method: "POST", as: account.userId });
    expect(rotated.status).toBe(200);
    const { secret: newSecret, previousValidUntil, subscription: after } = (await rotated.json()) as { secret: string; previousValidUntil: string; subscription: Json };
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(previousValidUntil)).toBeGreaterThan(Date.now());
    expect(after.secretVersion).toBe(2);

    await incoming(account.unipileAccountId, "après rotation");
    const [r] = await until(() => delivered("/rotation").length > 0 && delivered("/rotation"), 10_000, "a delivery after rotation");
    expect(r?.signature.split(" ")).toHaveLength(2);
    expect(verify(oldSecret, r as Received)).toBeTruthy();
    expect(verify(newSecret, r as Received)).toBeTruthy();

    const ping = await h.request(`/api/subscriptions/${subscription.id}/test`, { method: "POST", as: account.userId });
    expect(await ping.json()).toMatchObject({ delivered: true, responseCode: 200, error: null, eventId: expect.stringMatching(/^evt_ping_/) });
    const pinged = on("/rotation").find((p) => p.payload.type === "ping") as Received;
    expect(verify(newSecret, pinged)).toMatchObject({ type: "ping" });
    expect(verify(oldSecret, pinged)).toBeTruthy();

    // When the overlap is over (moved to now here), only the new secret signs
    await h.deps.sql`update subscription_secrets set expires_at = now() where subscription_id = ${subscription.id} and version = 1`;
    const laterPing = (await (await h.request(`/api/subscriptions/${subscription.id}/test`, { method: "POST", as: account.userId })).json()) as { eventId: string };
    const last = on("/rotation").find((p) => p.id === laterPing.eventId) as Received;
    expect(last.signature.split(" ")).toHaveLength(1);
    expect(verify(newSecret, last)).toBeTruthy();
    expect(() => verify(oldSecret, last)).toThrow();
  });

  test("a replay from a position re-delivers the same event ids, in order per conversation; a replay from a time too", async () => {
    const account = await connectAccount(h);
    const { subscription, secret } = await subscribe(h, account.userId, { url: at("/replay"), events: ["message.created"] });
    const chat = await incoming(account.unipileAccountId, "rejeu 0");
    const from = newPhone();
    for (let i = 1; i < 5; i++) await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from, text: `rejeu ${i}` });
    expect(chat.chat_id).toEqual(expect.any(String));
    const firstRound = await until(() => delivered("/replay").length >= 5 && delivered("/replay"), 10_000, "five deliveries");
    const ids = firstRound.map((r) => r.id);
    expect(new Set(ids).size).toBe(5);

    const third = firstRound.find((r) => textOf(r) === "rejeu 2") as Received;
    const replay = await h.request(`/api/subscriptions/${subscription.id}/replay`, { method: "POST", as: account.userId, json: { from: third.payload.position } });
    expect(replay.status).toBe(200);
    const again = await until(() => delivered("/replay").length >= 8 && delivered("/replay").slice(5), 10_000, "the replayed deliveries");
    expect(again.map((r) => r.id)).toEqual(firstRound.filter((r) => ["rejeu 2", "rejeu 3", "rejeu 4"].includes(textOf(r) ?? "")).map((r) => r.id));
    for (const r of again) expect(verify(secret, r)).toBeTruthy();

    const earliest = firstRound.map((r) => r.payload.occurredAt).sort()[0] as string;
    const byTime = await h.request(`/api/subscriptions/${subscription.id}/replay`, { method: "POST", as: account.userId, json: { from: earliest } });
    expect(byTime.status).toBe(200);
    const all = await until(() => delivered("/replay").length >= 13 && delivered("/replay").slice(8), 10_000, "the replay by time");
    expect(all.map((r) => r.id).sort()).toEqual([...ids].sort());
    const inChat = (rs: Received[]) => rs.filter((r) => textOf(r) !== "rejeu 0").map((r) => r.id);
    expect(inChat(all)).toEqual(inChat(firstRound));
    const invalid = await h.request(`/api/subscriptions/${subscription.id}/replay`, { method: "POST", as: account.userId, json: { from: "yesterday" } });
    expect(invalid.status).toBe(400);
  });
});

describe("failures", () => {
  test("410 Gone disables the subscription at once, and the log records why", async () => {
    const gone = await startReceiver({ status: 410 });
    try {
      const account = await connectAccount(h);
      const { subscription } = await subscribe(h, account.userId, { url: `${gone.url}/gone`, events: ["message.*"] });
      await incoming(account.unipileAccountId, "personne ?");
      const disabled = await until(async () => {
        const s = (await (await h.request(`/api/subscriptions/${subscription.id}`, { as: account.userId })).json()) as Json;
        return s.enabled === false && s;
      }, 10_000, "the subscription to be disabled");
      expect(disabled.disabledReason).toContain("410");
      expect(gone.records()).toHaveLength(1);
      const events = await h.deps.eventStore.readStream(subscriptionStream(subscription.id));
      expect(events.at(-1)).toMatchObject({ type: "SubscriptionDisabled", data: { reason: expect.stringContaining("410"), failures: 1 }, metadata: { source: "system" } });
    } finally {
      await gone.stop();
    }
  });

  test("after the configured number of failures in a row it is disabled; re-enabled, it delivers what waited, honouring Retry-After", async () => {
    const flaky = await startReceiver({ status: 503 });
    await flaky.answer({ retryAfter: "1" });
    try {
      const account = await connectAccount(h);
      const { subscription, secret } = await subscribe(h, account.userId, { url: `${flaky.url}/flaky`, events: ["message.*"] });
      await incoming(account.unipileAccountId, "en attente");
      const disabled = await until(async () => {
        const s = (await (await h.request(`/api/subscriptions/${subscription.id}`, { as: account.userId })).json()) as Json;
        return s.enabled === false && s;
      }, 15_000, "the subscription to be disabled");
      expect(disabled.disabledReason).toContain("4 delivery attempts failed");
      expect(disabled.delivery).toMatchObject({ pending: 1, failures: 4, lastError: "HTTP 503" });
      const attempts = flaky.records();
      expect(attempts).toHaveLength(4);
      expect(new Set(attempts.map((r) => r.id)).size).toBe(1);
      const log = (await (await h.request(`/api/subscriptions/${subscription.id}/deliveries`, { as: account.userId })).json()) as { items: Json[] };
      expect(log.items.map((d) => [d.attempt, d.status, d.responseCode])).toEqual([[4, "failed", 503], [3, "failed", 503], [2, "failed", 503], [1, "failed", 503]]);
      // Retry-After: 1 outweighs the 50-200 ms backoff: attempts are at least a second apart (the database's clock).
      const times = log.items.map((d) => Date.parse(d.at as string)).reverse();
      for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(950);

      await flaky.answer({ status: 200, retryAfter: null });
      const enabled = await h.request(`/api/subscriptions/${subscription.id}`, { method: "PATCH", as: account.userId, json: { enabled: true } });
      expect(await enabled.json()).toMatchObject({ enabled: true, disabledReason: null });
      const ok = await until(() => flaky.records().find((r) => r.status === 200), 10_000, "the delivery after re-enabling");
      expect(ok.id).toBe(attempts[0]?.id as string);
      expect(verify(secret, ok)).toBeTruthy();
    } finally {
      await flaky.stop();
    }
  });
});

describe("replicas", () => {
  test("two replicas running: each subscription is delivered by one of them, each event once; when one stops, the other takes over", async () => {
    const other = h.tdb.connect(5);
    const second = createSubscriptionWorker({
      sql: other,
      runner: h.deps.runner,
      projections: h.deps.projections,
      service: h.deps.subscriptions.service,
      logger: h.deps.logger,
      replica: "replica-two",
      settings: { maxInFlight: 4, timeoutMs: 5000, allowPrivate: true, leaseMs: 1000, pollMs: 50, retry: { baseMs: 50, maxMs: 200, disableAfterFailures: 100, disableAfterMs: 60_000 } },
    });
    second.start();
    try {
      const account = await connectAccount(h);
      const subs = await Promise.all([1, 2, 3].map((n) => subscribe(h, account.userId, { url: at(`/replicas-${n}`), events: ["message.created"] })));
      const from = newPhone();
      for (let i = 0; i < 10; i++) await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from, text: `réplique ${i}` });
      await until(() => [1, 2, 3].every((n) => delivered(`/replicas-${n}`).length >= 10), 15_000, "every subscription's deliveries");
      await h.deps.subscriptions.worker.stop();
      for (let i = 10; i < 15; i++) await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from, text: `réplique ${i}` });
      await until(() => [1, 2, 3].every((n) => delivered(`/replicas-${n}`).length >= 15), 15_000, "deliveries after one replica stopped");

      for (const n of [1, 2, 3]) {
        const ids = delivered(`/replicas-${n}`).map((r) => r.id);
        expect(ids).toHaveLength(15);
        expect(new Set(ids).size).toBe(15);
        expect(delivered(`/replicas-${n}`).map(textOf)).toEqual(Array.from({ length: 15 }, (_, i) => `réplique ${i}`));
      }
      const recorded = () => h.deps.sql<{ subscription_id: string; replica: string; n: number }[]>`
        select subscription_id, replica, count(*)::int as n from subscription_deliveries
        where subscription_id = any(${subs.map((s) => s.subscription.id)}) group by 1, 2
      `;
      const total = (rows: { n: number }[]) => rows.reduce((sum, r) => sum + r.n, 0);
      // The receiver has each request before its replica records the answer: wait for the records.
      const replicas = await until(async () => { const rows = await recorded(); return total(rows) >= 45 && rows; }, 10_000, "the delivery records");
      expect(total(replicas)).toBe(45);
      expect(replicas.some((r) => r.replica === "replica-two")).toBe(true);
    } finally {
      await second.stop();
      await other.end({ timeout: 1 });
      h.deps.subscriptions.worker.start();
    }
  });
});
