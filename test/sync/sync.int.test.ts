/**
 * The sync against the sandbox through the real SDK and a real Postgres:
 * messages whose webhooks were dropped appear after a sync, exactly once;
 * messages both paths bring are one message; an outage is gap-filled and
 * recorded; history that arrives after the link is imported; the routes are scoped to the
 * caller; and the projections rebuilt from the log equal the live tables.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lockProjection } from "../../src/projections/checkpoints";
import { backfillStream, syncStream } from "../../src/sync/events";
import { readLeases } from "../../src/sync/leases";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { conversationOf, listConversations, listMessages, newPhone, newUser } from "../messaging/support";
import { account, arrivals, incoming, linkAccount, observedByAccount, syncEvents, syncNow } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ SYNC_INTERVAL_MS: "100", SYNC_LEASE_MS: "2000", SYNC_MAX_BACKOFF_MS: "1000", SYNC_CATCH_UP_AFTER_MS: "600000" });
});
afterAll(() => h.close());

/** A linked account whose first sync (history import included) is done. */
async function syncedAccount(history?: { chats: number; messages_per_chat: number }) {
  const linked = await linkAccount(h, { history });
  const [first] = await syncNow(h, linked.userId, linked.accountId);
  expect(first).toMatchObject({ outcome: "synced", backfill: { state: "done" } });
  return linked;
}

const dropWebhooks = () => h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
const clearFaults = () => h.control("DELETE", "/sandbox/faults");

describe("webhooks that never came", () => {
  test("messages sent while deliveries were dropped appear after a sync, exactly once, marked as polled", async () => {
    const linked = await syncedAccount();
    const contact = newPhone();
    // Given: every delivery is dropped while a contact writes twice, a group writes, and the phone sends
    await dropWebhooks();
    const first = await incoming(h, linked.unipileAccountId, { from: contact, name: "Marie Dupont", text: "Bonjour" });
    const second = await incoming(h, linked.unipileAccountId, { from: contact, name: "Marie Dupont", text: "Vous êtes là ?" });
    const group = await incoming(h, linked.unipileAccountId, { from: newPhone(), text: "Salut l'équipe", group: { subject: "Team Lyon", members: [newPhone()] } });
    const own = await h.control<{ message_id: string }>("POST", `/sandbox/accounts/${linked.unipileAccountId}/outgoing`, { to: contact, text: "Oui, je regarde" });
    await clearFaults();
    const ids = [first.message_id, second.message_id, group.message_id, own.message_id];
    expect(await arrivals(h.deps.sql, ids)).toEqual([]);

    // When
    const [result] = await syncNow(h, linked.userId, linked.accountId);

    // Then: the run says what it found, the log has each message once (by poll), the API shows each once
    expect(result).toMatchObject({ outcome: "synced", found: { trigger: "manual", messagesNew: 4, recorded: true } });
    expect([...(result?.found?.newMessageIds ?? [])].sort()).toEqual([...ids].sort());
    const logged = await arrivals(h.deps.sql, ids);
    expect(logged).toHaveLength(4);
    expect(logged.every((a) => a.type === "UnipileMessageObserved" && a.via === "poll" && a.source === "poll")).toBe(true);

    // The chat was described by the poll (UnipileChatObserved, with attendees): the conversation has its name.
    const conversation = await conversationOf(h, linked.userId, first.chat_id);
    expect(conversation).toMatchObject({ name: "Marie Dupont", type: "single", messageCount: 3 });
    const messages = (await listMessages(h, linked.userId, conversation.id)).items;
    expect(messages.map((m) => m.text).sort()).toEqual(["Bonjour", "Oui, je regarde", "Vous êtes là ?"]);
    expect(new Set(messages.map((m) => m.unipileMessageId)).size).toBe(3);
    const teamLyon = await conversationOf(h, linked.userId, group.chat_id);
    expect(teamLyon).toMatchObject({ name: "Team Lyon", type: "group", messageCount: 1 });

    // And: the sync's history says so, and the account counts the messages the sync brought
    const recorded = (await syncEvents(h.deps.sql, syncStream(linked.unipileAccountId))).at(-1);
    expect(recorded).toMatchObject({ type: "AccountSyncCompleted", data: { trigger: "manual", messagesNew: 4 } });
    expect((await account(h, linked.userId, linked.accountId)).sync).toMatchObject({ state: "live", messagesImported: 4, lastTrigger: "manual" });

    // And: syncing again is a no-op
    const [again] = await syncNow(h, linked.userId, linked.accountId);
    expect(again?.found).toMatchObject({ messagesNew: 0 });
    expect(await arrivals(h.deps.sql, ids)).toHaveLength(4);
  });
});

describe("both paths deliver", () => {
  test("a message the webhook brought and the poll reads again is one message", async () => {
    const linked = await syncedAccount();
    const sent = await incoming(h, linked.unipileAccountId, { from: newPhone(), name: "Hugo Martin", text: "Webhook d'abord" });
    const conversation = await conversationOf(h, linked.userId, sent.chat_id);

    const [result] = await syncNow(h, linked.userId, linked.accountId);

    expect(result?.found).toMatchObject({ messagesNew: 0 });
    expect(result?.found?.messagesSeen).toBeGreaterThanOrEqual(1);
    expect(await arrivals(h.deps.sql, [sent.message_id])).toEqual([{ message_id: sent.message_id, type: "UnipileWebhookReceived", via: null, source: "webhook" }]);
    expect((await listMessages(h, linked.userId, conversation.id)).items).toHaveLength(1);
  });

  test("webhooks delivered twice, late and racing the poll still make one message each", async () => {
    const linked = await syncedAccount();
    const contact = newPhone();
    // Given: deliveries are duplicated, then delayed past the poll
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "duplicate" } });
    const twice = await incoming(h, linked.unipileAccountId, { from: contact, text: "Deux fois" });
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "delay", delay_ms: 150 } });
    const late = await Promise.all(Array.from({ length: 5 }, (_, i) => incoming(h, linked.unipileAccountId, { from: contact, text: `En retard ${i}` })));

    // When: the poll runs while the late deliveries arrive
    const [result] = await syncNow(h, linked.userId, linked.accountId);
    await h.sandbox.sandbox.context.deliverer.idle();
    await clearFaults();

    // Then
    const ids = [twice.message_id, ...late.map((m) => m.message_id)];
    const logged = await arrivals(h.deps.sql, ids);
    expect(logged.map((a) => a.message_id).sort()).toEqual([...ids].sort());
    expect(result?.outcome).toBe("synced");
    const conversation = await conversationOf(h, linked.userId, twice.chat_id, (c) => c.messageCount === 6);
    const messages = (await listMessages(h, linked.userId, conversation.id)).items;
    expect(messages.map((m) => m.unipileMessageId).sort()).toEqual([...ids].sort());
  });
});

describe("gap filling", () => {
  test("an account back to OK after CREDENTIALS has the gap filled by a recorded gap fill", async () => {
    const linked = await syncedAccount();
    const contact = newPhone();
    // Given: the account loses its session; a contact writes meanwhile (WhatsApp holds it); its delivery is dropped
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/status`, { message: "CREDENTIALS" });
    const lost = await waitFor(async () => {
      const a = await account(h, linked.userId, linked.accountId);
      return a.status === "credentials_required" && a.sync.gapSince ? a : undefined;
    });
    expect(lost.sync.gapSince).toEqual(expect.any(String));
    expect((await incoming(h, linked.unipileAccountId, { from: contact, text: "Pendant la coupure" })) as unknown).toMatchObject({ queued: true });
    // Only the held message's delivery (sent first when the account is OK again); the status webhook comes through.
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop", count: 1 } });

    // When: the account is OK again and the background sync runs
    h.deps.sync.start();
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/status`, { message: "OK" });
    const filled = await waitFor(async () => {
      const events = await syncEvents(h.deps.sql, syncStream(linked.unipileAccountId));
      return events.find((e) => e.data.trigger === "gap_fill");
    }, 10000);
    await h.deps.sync.stop();
    await clearFaults();

    // Then: the gap fill recorded what it found, the gap is closed, the message is there once, by poll
    expect(filled.data).toMatchObject({ trigger: "gap_fill", messagesNew: 1, gapSince: lost.sync.gapSince });
    const [messageId] = filled.data.newMessageIds as string[];
    expect(await arrivals(h.deps.sql, [messageId ?? ""])).toMatchObject([{ type: "UnipileMessageObserved", via: "poll" }]);
    await waitFor(async () => (await account(h, linked.userId, linked.accountId)).sync.gapSince === null);
    const conversations = (await listConversations(h, linked.userId)).items.filter((c) => c.accountId === linked.accountId);
    const texts = (await Promise.all(conversations.map(async (c) => (await listMessages(h, linked.userId, c.id)).items.map((m) => m.text)))).flat();
    expect(texts.filter((t) => t === "Pendant la coupure")).toHaveLength(1);
  });
});

describe("history import", () => {
  // The 20 × 500 import (killed mid-way and resumed) is in replicas.int.test.ts.
  test("history arriving after the link is imported once on SYNC_SUCCESS, with progress on the account", async () => {
    // Given: a linked account, first synced with an empty history; then its phone's history arrives
    // at Unipile (8 chats of 150 messages) and Unipile reports SYNC_SUCCESS
    const linked = await syncedAccount();
    const before = await account(h, linked.userId, linked.accountId);
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/history`, { chats: 8, messages_per_chat: 150 });
    const seeded = [...h.sandbox.sandbox.context.store.messages.values()].filter((m) => m.accountId === linked.unipileAccountId);
    expect(seeded).toHaveLength(1200);
    for (const message of ["OK", "SYNC_SUCCESS"]) {
      await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/status`, { message });
    }
    await waitFor(async () => (await account(h, linked.userId, linked.accountId)).lastSync !== before.lastSync);

    // When: the background sync runs until the import is done
    const started = Date.now();
    h.deps.sync.start();
    const done = await waitFor(async () => {
      const a = await account(h, linked.userId, linked.accountId);
      return a.sync.backfill?.reason === "sync_success" && a.sync.backfill.state === "done" && a.sync.backfill.messagesImported === 1200 ? a : undefined;
    }, 30_000);
    const seconds = (Date.now() - started) / 1000;
    await h.deps.sync.stop();
    console.log(`history import of 8 chats × 150 messages: ${seconds.toFixed(1)} s`);

    // Then: progress on the account, every message once in the log (by the import), a clean checkpoint chain
    expect(done.sync).toMatchObject({ state: "live", messagesImported: 1200, backfill: { state: "done", reason: "sync_success", chatsDone: 8, messagesSeen: 1200, messagesImported: 1200 } });
    const observed = await observedByAccount(h.deps.sql, linked.unipileAccountId);
    expect(observed).toHaveLength(1200);
    expect(new Set(observed.map((o) => o.message_id))).toEqual(new Set(seeded.map((m) => m.id)));
    expect(observed.every((o) => o.via === "backfill")).toBe(true);
    const all = await syncEvents(h.deps.sql, backfillStream(linked.unipileAccountId));
    const steps = all.filter((s) => s.data.runId === all.at(-1)?.data.runId);
    expect(steps.map((s) => s.type)).toEqual(["AccountBackfillStarted", ...Array(steps.length - 2).fill("AccountBackfillProgressed"), "AccountBackfillCompleted"]);
    expect(steps.map((s) => s.data.seq)).toEqual(steps.map((_, i) => i));
    expect(new Set(observed.map((o) => o.sync_run_id))).toEqual(new Set([steps[0]?.data.runId as string]));

    // And: the conversations show every message
    const conversations = await waitFor(async () => {
      const page = (await listConversations(h, linked.userId, "limit=50")).items;
      return page.length === 8 && page.every((c) => c.messageCount === 150) ? page : undefined;
    }, 30_000);
    expect(new Set(conversations.map((c) => c.unipileChatId)).size).toBe(8);
  }, 60_000);
});

describe("routes", () => {
  test("sync and start-sync need a token and see only the caller's accounts", async () => {
    const linked = await syncedAccount();
    expect((await h.request("/api/unipile/sync", { method: "POST" })).status).toBe(401);
    expect((await h.request("/api/unipile/start-sync", { method: "POST" })).status).toBe(401);
    const stranger = newUser();
    const foreign = await h.request("/api/unipile/sync", { method: "POST", as: stranger, json: { accountId: linked.accountId } });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: "ACCOUNT_NOT_FOUND" });
    const invalid = await h.request("/api/unipile/sync", { method: "POST", as: stranger, json: { accountId: "nope" } });
    expect(invalid.status).toBe(400);
    expect(await syncNow(h, stranger)).toEqual([]);
    const start = (await (await h.request("/api/unipile/start-sync", { method: "POST", as: stranger })).json()) as { accounts: unknown[] };
    expect(start.accounts).toEqual([]);
  });

  test("start-sync starts the background sync once and answers each account's schedule", async () => {
    const linked = await syncedAccount();
    await h.deps.sync.stop();
    const first = await h.request("/api/unipile/start-sync", { method: "POST", as: linked.userId });
    const second = await h.request("/api/unipile/start-sync", { method: "POST", as: linked.userId });
    expect(first.status).toBe(200);
    const [a, b] = [(await first.json()) as Record<string, unknown>, (await second.json()) as Record<string, unknown>];
    expect(a).toMatchObject({ running: true, started: true, intervalMs: 100, pausedUntil: null });
    expect(b).toMatchObject({ running: true, started: false });
    expect(b.accounts).toEqual([
      expect.objectContaining({
        account: expect.objectContaining({ accountId: linked.accountId, sync: expect.objectContaining({ state: "live" }) }),
        schedule: expect.objectContaining({ failures: 0, lastSuccessAt: expect.any(String), nextRunAt: expect.any(String) }),
      }),
    ]);
    await h.deps.sync.stop();
  });

  test("a manual sync that finds the import done by a background run answers the account as that import left it", async () => {
    const linked = await linkAccount(h);
    // Given: the accounts projection held by another replica while a background run imports the history and polls
    const holder = h.tdb.connect(1);
    const release = Promise.withResolvers<void>();
    const holding = Promise.withResolvers<void>();
    const held = holder.begin(async (tx) => {
      await lockProjection(tx, "accounts");
      holding.resolve();
      await release.promise;
    });
    await holding.promise;
    h.deps.sync.start();
    await waitFor(async () => {
      const imported = (await syncEvents(h.deps.sql, backfillStream(linked.unipileAccountId))).some((e) => e.type === "AccountBackfillCompleted");
      return imported && (await syncEvents(h.deps.sql, syncStream(linked.unipileAccountId))).some((e) => e.type === "AccountSyncCompleted");
    }, 10_000);
    await h.deps.sync.stop();
    expect((await account(h, linked.userId, linked.accountId)).sync.state).toBe("not_started");

    // When: a manual sync runs (the import is done: it appends none of it); the projection is let go
    // once the run is over, or once the route answered (it must not answer before)
    const asked = new Date();
    const answer = syncNow(h, linked.userId, linked.accountId);
    const runOver = waitFor(async () => {
      const [lease] = await readLeases(h.deps.sql, [linked.unipileAccountId]);
      return lease !== undefined && lease.owner === null && (lease.lastRunAt?.getTime() ?? 0) >= asked.getTime();
    }, 10_000);
    await Promise.race([answer, runOver]);
    release.resolve();
    await held;

    // Then: the answer waited for the projection: the account shows the import done
    const [result] = await answer;
    expect(result).toMatchObject({ outcome: "synced", backfill: { state: "done" }, account: { sync: { state: "live" } } });
  });

  test("a sync of an account that is not connected is skipped", async () => {
    const linked = await syncedAccount();
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/status`, { message: "STOPPED" });
    await waitFor(async () => (await account(h, linked.userId, linked.accountId)).status === "stopped");
    const [result] = await syncNow(h, linked.userId, linked.accountId);
    expect(result).toMatchObject({ outcome: "skipped", found: null });
  });
});

describe("replay", () => {
  test("bun run replay --verify passes: every projection rebuilt from the log equals the live tables", async () => {
    await h.deps.messaging.fetcher.settled();
    const replay = Bun.spawn([process.execPath, "scripts/replay.ts", "--verify"], {
      cwd: `${import.meta.dir}/../..`,
      env: { ...process.env, DATABASE_URL: h.tdb.url, LOG_LEVEL: "silent" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, out, errors] = await Promise.all([replay.exited, new Response(replay.stdout).text(), new Response(replay.stderr).text()]);
    expect({ code, out, errors }).toMatchObject({ code: 0 });
    expect(out).toContain("accounts / accounts:");
    expect(out).not.toContain("DIFFERS");
  }, 60_000);
});
