/**
 * Server-sent events over real HTTP: new messages arrive as they are
 * projected; a client that drops during a burst resumes with Last-Event-ID
 * and gets exactly what it missed, in order, once; streams are per user,
 * bounded, kept alive with heartbeats and closed on shutdown.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { connectAccount, conversationOf, type Json, newPhone, newUser } from "../messaging/support";
import { openStream, type SseEvent } from "./sse-client";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ SSE_MAX_STREAMS_PER_USER: "2", SSE_HEARTBEAT_MS: "300" });
});
afterAll(() => h.close());

const streamUrl = () => `${h.url}/api/events/stream`;
const messageIdOf = (e: SseEvent) => (e.data.message as Json).unipileMessageId as string;
const messageEvents = (events: SseEvent[], prefix = "") =>
  events.filter((e) => e.event === "message" && e.data.type === "UnipileWebhookReceived" && messageIdOf(e).startsWith(prefix));
const order = (id: string) => id.split("-").map(BigInt) as [bigint, bigint];
const before = (a: string, b: string) => {
  const [ax, ap] = order(a);
  const [bx, bp] = order(b);
  return ax < bx || (ax === bx && ap < bp);
};

describe("live updates", () => {
  test("a client connected before a message arrives receives it, with its conversation, within a second", async () => {
    const account = await connectAccount(h);
    const client = await openStream(streamUrl(), await h.token(account.userId));
    expect(client.status).toBe(200);
    await client.waitFor((events) => events.some((e) => e.event === "ready"));

    const sentAt = Date.now();
    const written = await h.control<{ message_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), name: "Inès", text: "En direct" });
    await client.waitFor((events) => messageEvents(events).some((e) => messageIdOf(e) === written.message_id), 1000);
    const received = messageEvents(client.events).find((e) => messageIdOf(e) === written.message_id) as SseEvent;
    expect(received.at - sentAt).toBeLessThan(1000);
    expect(received.data.message).toMatchObject({ text: "En direct", isSender: false });
    expect(received.data.conversation).toMatchObject({ unreadCount: 1, name: "Inès" });
    expect(received.id).toMatch(/^\d+-\d+$/);
    client.close();
  });

  test("a client that drops during a burst of 1,000 messages resumes with Last-Event-ID: exactly the missed ones, in order, once", async () => {
    const account = await connectAccount(h);
    const first = await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: "début" });
    await conversationOf(h, account.userId, first.chat_id);
    const [delivery] = (await h.control<{ items: { body: string }[] }>("GET", `/sandbox/deliveries?account_id=${account.unipileAccountId}&event=message_received`)).items;
    const template = JSON.parse(delivery?.body ?? "{}") as Json;
    const token = await h.token(account.userId);

    // Given: a client on the stream while 1,000 messages arrive
    const firstClient = await openStream(streamUrl(), token);
    await firstClient.waitFor((events) => events.some((e) => e.event === "ready"));
    const burst = (async () => {
      for (let i = 0; i < 1000; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) => {
            const body = { ...template, message_id: `burst-${i + j}-${crypto.randomUUID()}`, message: `burst ${i + j}`, timestamp: new Date(Date.now() + i + j).toISOString() };
            return h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body: JSON.stringify(body) });
          }),
        );
      }
    })();

    // When: it drops after 300 of them, and comes back later with the last id it saw
    await firstClient.waitFor((events) => messageEvents(events, "burst-").length >= 300, 20_000);
    firstClient.close();
    const seenFirst = messageEvents(firstClient.events, "burst-");
    const lastId = seenFirst.at(-1)?.id as string;
    await burst;
    const resumed = await openStream(streamUrl(), token, lastId);
    await resumed.waitFor((events) => messageEvents(events, "burst-").length >= 1000 - seenFirst.length, 20_000);
    await Bun.sleep(300);
    resumed.close();

    // Then: together they are the log's 1,000 messages in log order, each once
    const logged = await h.deps.sql<{ id: string }[]>`
      select data->'raw'->>'message_id' as id from events
      where stream_id = ${`unipile-chat:${first.chat_id}`} and type = 'UnipileWebhookReceived' and data->'raw'->>'message_id' like 'burst-%'
      order by transaction_id, global_position
    `;
    const seenAgain = messageEvents(resumed.events, "burst-");
    const all = [...seenFirst, ...seenAgain].map(messageIdOf);
    expect(all).toEqual(logged.map((r) => r.id));
    expect(seenAgain.every((e) => before(lastId, e.id as string))).toBe(true);
    for (let i = 1; i < seenAgain.length; i++) expect(before(seenAgain[i - 1]?.id as string, seenAgain[i]?.id as string)).toBe(true);
  });

  test("a user sees only their own accounts' events", async () => {
    const alice = await connectAccount(h);
    const bob = await connectAccount(h);
    const client = await openStream(streamUrl(), await h.token(alice.userId));
    await client.waitFor((events) => events.some((e) => e.event === "ready"));
    const toBob = await h.control<{ message_id: string }>("POST", `/sandbox/accounts/${bob.unipileAccountId}/incoming`, { from: newPhone(), text: "pour Bob" });
    const toAlice = await h.control<{ message_id: string }>("POST", `/sandbox/accounts/${alice.unipileAccountId}/incoming`, { from: newPhone(), text: "pour Alice" });
    await client.waitFor((events) => messageEvents(events).some((e) => messageIdOf(e) === toAlice.message_id));
    expect(messageEvents(client.events).some((e) => messageIdOf(e) === toBob.message_id)).toBe(false);
    client.close();
  });

  test("account status changes are pushed", async () => {
    const account = await connectAccount(h);
    const client = await openStream(streamUrl(), await h.token(account.userId));
    await client.waitFor((events) => events.some((e) => e.event === "ready"));
    await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/status`, { message: "CREDENTIALS" });
    await client.waitFor((events) => events.some((e) => e.event === "account" && (e.data.account as Json).status === "credentials_required"));
    client.close();
  });
});

describe("the stream's limits", () => {
  test("no token is 401; a bad Last-Event-ID is 400; past the per-user bound is 429", async () => {
    expect((await h.request("/api/events/stream")).status).toBe(401);
    const userId = newUser();
    const bad = await h.request("/api/events/stream", { as: userId, headers: { "last-event-id": "not-an-id" } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "VALIDATION_FAILED", requestId: expect.any(String) });

    const token = await h.token(userId);
    const open = [await openStream(streamUrl(), token), await openStream(streamUrl(), token)];
    await Promise.all(open.map((c) => c.waitFor((events) => events.some((e) => e.event === "ready"))));
    const third = await h.request("/api/events/stream", { as: userId });
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    for (const c of open) c.close();
  });

  test("idle streams get heartbeats, and shutdown ends every stream", async () => {
    const client = await openStream(streamUrl(), await h.token(newUser()));
    await client.waitFor(() => client.comments.includes("heartbeat"), 3000);
    await h.deps.live.closeAll();
    await client.ended;
    const refused = await h.request("/api/events/stream", { as: newUser() });
    expect(refused.status).toBe(503);
  });
});
