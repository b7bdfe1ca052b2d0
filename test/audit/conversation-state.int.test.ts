/**
 * A conversation at a past point, replayed from the log, equals what the
 * live API showed at that moment: the states are captured during a scenario
 * (messages in and out, receipts, an edit, a reaction, a deletion, a read
 * mark) and asked for afterwards by log position and by time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { connectAccount, conversationOf, type Json, listMessages, newPhone, send } from "../messaging/support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

interface Captured {
  position: number;
  time: string;
  conversation: Json;
  messages: Json[];
}

describe("conversation state at a past point", () => {
  test("equals what the live projection showed at each step", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();
    const captured: Captured[] = [];
    let chatId = "";
    let conversationId = "";

    /** Waits for the step's facts (webhooks, lookups) to be projected, then records what the API shows. */
    const capture = async (settled: () => Promise<boolean>) => {
      await waitFor(settled, 10000);
      await h.deps.messaging.fetcher.settled();
      await h.deps.runner.catchUp(3000);
      const [head] = await h.deps.sql<{ position: number; time: Date }[]>`select global_position as position, recorded_at as time from events order by global_position desc limit 1`;
      const conversation = (await (await h.request(`/api/conversations/${conversationId}`, { as: account.userId })).json()) as Json;
      const messages = (await listMessages(h, account.userId, conversationId, "limit=200")).items as unknown as Json[];
      captured.push({ position: head?.position ?? 0, time: (head?.time ?? new Date()).toISOString(), conversation, messages });
    };
    const on = (id: string, action: string, body?: Json) => h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/messages/${id}/${action}`, body);
    const messageCount = async (n: number) => (await listMessages(h, account.userId, conversationId)).items.length === n;

    const first = await h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: contact, name: "Emma Durand", text: "Bonjour" });
    chatId = first.chat_id;
    conversationId = (await conversationOf(h, account.userId, chatId)).id;
    await capture(() => messageCount(1));

    const second = await h.control<{ message_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: contact, text: "Vous êtes là ?" });
    await capture(() => messageCount(2));

    const reply = (await (await send(h, account.userId, { content: "Oui, je regarde", accountId: account.accountId, chatId: conversationId })).json()) as { message: { unipileMessageId: string } };
    await capture(() => messageCount(3));

    await on(reply.message.unipileMessageId, "delivered");
    await on(reply.message.unipileMessageId, "read");
    await capture(async () => (await listMessages(h, account.userId, conversationId)).items[0]?.status === "read");

    await h.control("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: contact, text: "Merci !" });
    await on(second.message_id, "edit", { text: "Vous êtes là ? (modifié)" });
    await on(first.message_id, "reaction", { value: "🙏", by: "self" });
    await capture(async () => {
      const items = (await listMessages(h, account.userId, conversationId)).items;
      return items.length === 4 && items.some((m) => m.edited) && items.some((m) => m.reactions.length > 0);
    });

    await h.request(`/api/conversations/${conversationId}/read`, { method: "POST", as: account.userId });
    await on(first.message_id, "delete");
    await capture(async () => (await listMessages(h, account.userId, conversationId)).items.some((m) => m.deleted));

    // Then: every captured state comes back from the log, by position (by our id and by Unipile's) and by time
    for (const step of captured) {
      for (const id of [conversationId, chatId]) {
        const response = await h.request(`/api/audit/conversations/${encodeURIComponent(id)}/state?at=${step.position}&limit=200`, { as: "auditor-1", roles: ["auditor"] });
        expect(response.status).toBe(200);
        const state = (await response.json()) as { conversation: Json; messages: Json[]; position: number };
        expect(state.conversation).toEqual(step.conversation);
        expect(state.messages).toEqual(step.messages);
        expect(state.position).toBeLessThanOrEqual(step.position);
      }
      // A time means the events recorded by then. `recorded_at` is stamped when a transaction starts, so
      // under concurrency it is not quite in log order; where the events recorded by then are exactly a
      // prefix of the log (no later stamp below the covered position), the time gives that prefix's state.
      const [cut] = await h.deps.sql<{ covered: number; late: number }[]>`
        with c as (select max(global_position) as covered from events where recorded_at < ${step.time}::timestamptz + interval '1 millisecond')
        select c.covered, (select count(*)::int from events where global_position <= c.covered and recorded_at >= ${step.time}::timestamptz + interval '1 millisecond') as late from c
      `;
      const audit = async (at: string) => (await (await h.request(`/api/audit/conversations/${conversationId}/state?at=${encodeURIComponent(at)}&limit=200`, { as: "auditor-1", roles: ["auditor"] })).json()) as Json;
      if (cut?.late === 0) expect(await audit(step.time)).toEqual(await audit(String(cut.covered)));
    }
    expect(captured.map((c) => (c.conversation as { messageCount: number }).messageCount)).toEqual([1, 2, 3, 3, 4, 4]);
  });

  test("before its first event it is 404; non-auditors get 403", async () => {
    const account = await connectAccount(h);
    const written = await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: newPhone(), text: "x" });
    await conversationOf(h, account.userId, written.chat_id);
    const early = await h.request(`/api/audit/conversations/${written.chat_id}/state?at=1`, { as: "auditor-1", roles: ["auditor"] });
    expect(early.status).toBe(404);
    expect(await early.json()).toMatchObject({ code: "CONVERSATION_NOT_FOUND" });
    expect((await h.request(`/api/audit/conversations/${written.chat_id}/state`, { as: account.userId })).status).toBe(403);
  });
});
