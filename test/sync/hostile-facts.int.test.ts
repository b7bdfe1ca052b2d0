/**
 * The sync against facts the log cannot take as they are. Messages whose
 * text or sender holds NUL or half a surrogate pair are stored with U+FFFD
 * (and the message as Unipile listed it kept as raw bytes). A message the
 * log refuses (here a real trigger refusing any event that holds POISON)
 * does not fail its page: the other messages of the page and the pages after
 * it are in the log after ONE run, the refused one is an UnprocessableFact
 * auditors can list, and later runs go on past it. Messages Unipile lists
 * with fields of unexpected types are recorded as they came, and the rest of
 * their page too. Pages of 2, so a page holds the poison and its neighbour,
 * and several pages follow.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { conversationOf, type Json, listMessages, newPhone } from "../messaging/support";
import { arrivals, incoming, linkAccount, syncNow } from "./support";
import { storableId } from "../../src/event-store/storable";
import { refusePoison } from "../support/refuse-poison";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ SYNC_INTERVAL_MS: "100", SYNC_LEASE_MS: "2000", SYNC_MAX_BACKOFF_MS: "1000", SYNC_CATCH_UP_AFTER_MS: "600000" }, { syncPageSize: { chats: 2, messages: 2 } });
  // The log refuses any event whose data holds POISON, as a trigger or a constraint might in production.
  await refusePoison(h.tdb.sql);
});
afterAll(() => h.close());

const FFFD = "\uFFFD";
const dropWebhooks = () => h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
const clearFaults = () => h.control("DELETE", "/sandbox/faults");

interface AuditItem {
  type: string;
  data: Json;
  metadata: Json;
  dedupeKey: string | null;
  raw: string | null;
}
async function audit(query: string): Promise<AuditItem[]> {
  const response = await h.request(`/api/audit/events?${query}`, { as: "auditor-1", roles: ["auditor"] });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: AuditItem[] }).items;
}

/** Five messages from one contact, the second one poisoned, with every webhook dropped. */
async function poisonedBurst(unipileAccountId: string) {
  await dropWebhooks();
  const contact = newPhone();
  const texts = ["un", "POISON deux", "trois", "quatre", "cinq"];
  const sent = [];
  for (const text of texts) sent.push(await incoming(h, unipileAccountId, { from: contact, name: "Inès Moreau", text }));
  await clearFaults();
  const ids = sent.map((m) => m.message_id);
  return { good: ids.filter((_, i) => i !== 1), poison: ids[1] as string, chatId: sent[0]?.chat_id as string };
}

describe("a polled page with a message the log refuses", () => {
  test("one run recovers every other message of the page and of the pages after it; the refused one is an UnprocessableFact", async () => {
    const linked = await linkAccount(h);
    expect((await syncNow(h, linked.userId, linked.accountId))[0]?.outcome).toBe("synced");
    const { good, poison, chatId } = await poisonedBurst(linked.unipileAccountId);

    // When: one run
    const [result] = await syncNow(h, linked.userId, linked.accountId);

    // Then: the run succeeded and found the four, all in the log by that poll, all shown by the API
    expect(result).toMatchObject({ outcome: "synced", found: { messagesNew: 4, recorded: true } });
    expect([...(result?.found?.newMessageIds ?? [])].sort()).toEqual([...good].sort());
    const logged = await arrivals(h.deps.sql, good);
    expect(logged).toHaveLength(4);
    expect(logged.every((a) => a.type === "UnipileMessageObserved" && a.via === "poll")).toBe(true);
    const conversation = await conversationOf(h, linked.userId, chatId);
    expect((await listMessages(h, linked.userId, conversation.id)).items.map((m) => m.text).sort()).toEqual(["cinq", "quatre", "trois", "un"]);

    // The refused message is recorded, with why and what Unipile said, for auditors (by type and by account)
    const [record] = await audit(`type=UnprocessableFact&accountId=${linked.unipileAccountId}`);
    expect(record).toMatchObject({
      data: { type: "UnipileMessageObserved", dedupeKey: `unipile-message:${poison}`, reason: "refused by the test trigger", sqlState: "P0001", raw: "event" },
      metadata: { source: "poll" },
      dedupeKey: `unprocessable:unipile-message:${poison}`,
    });
    const came = JSON.parse(Buffer.from(record?.raw ?? "", "base64").toString("utf8")) as { data: { message: { id: string; text: string } } };
    expect(came.data.message).toMatchObject({ id: poison, text: "POISON deux" });

    // And the next run goes on past it: nothing new, no failure, still one record
    const [next] = await syncNow(h, linked.userId, linked.accountId);
    expect(next).toMatchObject({ outcome: "synced", found: { messagesNew: 0 } });
    expect(await audit(`type=UnprocessableFact&accountId=${linked.unipileAccountId}`)).toHaveLength(1);
  }, 30_000);

  test("the background sync does the same within its interval, and keeps running", async () => {
    const linked = await linkAccount(h);
    expect((await syncNow(h, linked.userId, linked.accountId))[0]?.outcome).toBe("synced");
    const { good } = await poisonedBurst(linked.unipileAccountId);
    h.deps.sync.start();
    try {
      await waitFor(async () => (await arrivals(h.deps.sql, good)).length === 4, 15_000);
      const runs = await h.deps.sql<{ run: string }[]>`
        select distinct metadata->>'syncRunId' as run from events where dedupe_key = any(${good.map((id) => `unipile-message:${id}`)})
      `;
      expect(runs).toHaveLength(1);
      expect(h.logs.filter((line) => line.includes("sync run failed"))).toEqual([]);
    } finally {
      await h.deps.sync.stop();
    }
  }, 30_000);
});

describe("a history import page with a message the log refuses", () => {
  test("the import goes on: every other message is imported and the import completes", async () => {
    const linked = await linkAccount(h);
    // Before the first run, so the import (which runs first) is what reads them.
    const { good, poison } = await poisonedBurst(linked.unipileAccountId);
    const [result] = await syncNow(h, linked.userId, linked.accountId);
    expect(result).toMatchObject({ outcome: "synced", backfill: { state: "done" } });
    const logged = await arrivals(h.deps.sql, good);
    expect(logged.map((a) => a.via)).toEqual(["backfill", "backfill", "backfill", "backfill"]);
    const [record] = await audit(`type=UnprocessableFact&accountId=${linked.unipileAccountId}`);
    expect(record?.data).toMatchObject({ dedupeKey: `unipile-message:${poison}` });
  }, 30_000);
});

describe("polled text Postgres cannot store", () => {
  test("NUL and lone surrogates in a message and a sender name: polled, stored with U+FFFD, shown by the API, what came kept", async () => {
    const linked = await linkAccount(h);
    expect((await syncNow(h, linked.userId, linked.accountId))[0]?.outcome).toBe("synced");
    await dropWebhooks();
    const contact = newPhone();
    const first = await incoming(h, linked.unipileAccountId, { from: contact, name: "Zo\u0000é", text: "a\u0000b" });
    const second = await incoming(h, linked.unipileAccountId, { from: contact, name: "Zo\u0000é", text: "emoji \uD83D cut \uDE00 twice" });
    await clearFaults();

    const [result] = await syncNow(h, linked.userId, linked.accountId);
    expect(result).toMatchObject({ outcome: "synced", found: { messagesNew: 2 } });

    const conversation = await conversationOf(h, linked.userId, first.chat_id);
    expect(conversation.name).toBe(`Zo${FFFD}é`);
    const messages = (await listMessages(h, linked.userId, conversation.id)).items;
    expect(messages.map((m) => m.text).sort()).toEqual([`a${FFFD}b`, `emoji ${FFFD} cut ${FFFD} twice`]);
    const [event] = await audit(`streamId=unipile-chat:${first.chat_id}&type=UnipileMessageObserved`).then((items) =>
      items.filter((i) => i.dedupeKey === `unipile-message:${second.message_id}`),
    );
    expect(event?.metadata.sanitized).toMatchObject({ replaced: 2, paths: ["/data/message/text"], raw: "event" });
    const came = JSON.parse(Buffer.from(event?.raw ?? "", "base64").toString("utf8")) as { data: { message: { text: string } } };
    expect(came.data.message.text).toBe("emoji \uD83D cut \uDE00 twice");
  }, 30_000);
});

describe("polled messages with every JSON type in every field", () => {
  test("each is in the log (as a message, or an UnprocessableFact when it lacks the ids a fact needs); the run succeeds", async () => {
    const linked = await linkAccount(h);
    expect((await syncNow(h, linked.userId, linked.accountId))[0]?.outcome).toBe("synced");
    const values: unknown[] = [null, true, 0, 1.5e300, "", "\u0000", "\uD83D", [], {}, [null, "\u0000"], { "k\u0000": "\uDE00" }];
    const fields = ["id", "chat_id", "account_id", "text", "timestamp", "sender_id", "attachments", "reactions", "is_sender", "seen"];
    await dropWebhooks();
    const contact = newPhone();
    const cases: { field: string; value: unknown; id: string; text: string }[] = [];
    for (const field of fields) {
      for (const value of values) {
        const text = `odd-${cases.length}-${crypto.randomUUID()}`;
        const { message_id } = await incoming(h, linked.unipileAccountId, { from: contact, text });
        await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/messages/${message_id}/overrides`, { fields: { [field]: value } });
        cases.push({ field, value, id: message_id, text });
      }
    }
    await clearFaults();

    const [result] = await syncNow(h, linked.userId, linked.accountId);
    expect(result?.outcome).toBe("synced");

    for (const c of cases) {
      const rows = await h.deps.sql<{ type: string }[]>`
        select type from events
        where (type = 'UnipileMessageObserved' and (data->'message'->>'text' = ${c.text} or (${c.field} = 'text' and dedupe_key = ${`unipile-message:${c.id}`})))
           or (type = 'UnprocessableFact' and position(${c.text} in convert_from(raw, 'UTF8')) > 0)
      `;
      expect({ ...c, found: rows.map((r) => r.type) }).toEqual({ ...c, found: [expect.any(String)] } as never);
    }
    // Hostile text in a field of the expected type is shown by the API, with U+FFFD
    const nul = cases.find((c) => c.field === "text" && c.value === "\u0000");
    const [row] = await h.deps.sql<{ text: string | null }[]>`select text from messages where unipile_message_id = ${storableId(nul?.id ?? "")}`;
    expect(row?.text).toBe(FFFD);
  }, 60_000);
});
