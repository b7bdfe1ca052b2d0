/**
 * The event stream during a history import of 2,000 messages (20 chats of
 * 100): progress `account` events and one `conversations` event instead of
 * a `message` event per imported message, while a message arriving during
 * the import is still pushed on its own. The bound: the import's start, its
 * end and the `conversations` event, plus at most one progress event per
 * import page (100 chats or 250 messages), and no more than one every
 * 500 ms per account.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backfillStream } from "../../src/sync/events";
import { type Json, newPhone } from "../messaging/support";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { linkAccount, syncEvents, syncNow } from "../sync/support";
import { openStream, type SseEvent } from "./sse-client";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const typeOf = (e: SseEvent) => e.data.type as string;

describe("a history import on the event stream", () => {
  test("2,000 imported messages: bounded progress events, one conversations event, live messages one by one", async () => {
    // Given: an account whose phone has 2,000 messages in 20 chats, a client on the stream, a slow Unipile
    const linked = await linkAccount(h, { history: { chats: 20, messages_per_chat: 100 } });
    const client = await openStream(`${h.url}/api/events/stream`, await h.token(linked.userId));
    await client.waitFor((events) => events.some((e) => e.event === "ready"));
    await h.control("POST", "/sandbox/faults", { latency_ms: 150 });

    // When: the import runs, and a contact writes while it does
    const importing = syncNow(h, linked.userId, linked.accountId);
    await client.waitFor((events) => events.some((e) => typeOf(e) === "AccountBackfillStarted"), 10_000);
    const live = await h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${linked.unipileAccountId}/incoming`, { from: newPhone(), text: "Pendant l'import" });
    await client.waitFor((events) => events.some((e) => e.event === "conversations"), 60_000);
    await importing;
    await h.control("DELETE", "/sandbox/faults");
    client.close();

    // Then: the live message came on its own; no imported message was pushed
    const messages = client.events.filter((e) => e.event === "message");
    expect(messages.map((e) => (e.data.message as Json).unipileMessageId)).toEqual([live.message_id]);
    // (the live contact's chat is described as it comes; none of the 20 imported ones is pushed)
    const described = client.events.filter((e) => e.event === "conversation").map((e) => (e.data.conversation as Json).unipileChatId);
    expect([...new Set(described)]).toEqual(described.length > 0 ? [live.chat_id] : []);

    // And: progress as account events, within the bound, then one conversations event after the end
    const steps = (await syncEvents(h.deps.sql, backfillStream(linked.unipileAccountId))).length;
    const imports = client.events.filter((e) => e.event === "account" && typeOf(e).startsWith("AccountBackfill"));
    expect(imports.length).toBeLessThanOrEqual(steps);
    expect(typeOf(imports[0] as SseEvent)).toBe("AccountBackfillStarted");
    expect(typeOf(imports.at(-1) as SseEvent)).toBe("AccountBackfillCompleted");
    // (the import may also read the live chat and message: 21 and 2,001)
    const final = imports.at(-1)?.data.progress as { chatsDone: number; chatsTotal: number; messagesSeen: number };
    expect(final).toMatchObject({ phase: "messages", messagesTotal: null, done: true });
    expect(final.chatsTotal).toBe(final.chatsDone);
    expect([20, 21]).toContain(final.chatsDone);
    expect([2000, 2001]).toContain(final.messagesSeen);
    const seen = imports.map((e) => (e.data.progress as { messagesSeen: number }).messagesSeen);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const changed = client.events.filter((e) => e.event === "conversations");
    expect(changed).toHaveLength(1);
    expect(changed[0]?.data).toEqual({ type: "ConversationsChanged", reason: "history_import", accountId: linked.accountId, refetch: "/api/conversations" });
    expect(client.events.indexOf(changed[0] as SseEvent)).toBeGreaterThan(client.events.indexOf(imports.at(-1) as SseEvent));
    const total = client.events.length;
    console.log(`2,000-message import: ${total} stream events (${imports.length} import progress, ${steps} import steps in the log)`);
    // Every event is the ready line, the import's (bounded above), the conversations event, the live
    // message and its chat, or a change of the account's own status or details (its number fetched after the link)
    const explained = (e: SseEvent) =>
      e.event === "ready" ||
      imports.includes(e) ||
      changed.includes(e) ||
      messages.includes(e) ||
      (e.event === "conversation" && (e.data.conversation as Json).unipileChatId === live.chat_id) ||
      (e.event === "account" && ["AccountStatusReported", "AccountDetailsObserved"].includes(typeOf(e)));
    expect(client.events.filter((e) => !explained(e)).map((e) => [e.event, typeOf(e)])).toEqual([]);

    // And: the conversations hold the imported messages
    await waitFor(async () => {
      const page = (await (await h.request("/api/conversations?limit=50", { as: linked.userId })).json()) as { items: { messageCount: number }[] };
      return page.items.filter((c) => c.messageCount === 100).length === 20;
    }, 20_000);
  }, 90_000);
});
