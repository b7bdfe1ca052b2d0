/**
 * Background lookups are bounded: 200 chats appearing at once (200 webhooks
 * naming chats the log has never seen) make at most
 * UNIPILE_LOOKUP_CONCURRENCY lookups at Unipile at the same time, and at most
 * UNIPILE_LOOKUP_CONCURRENCY_PER_ACCOUNT for one account, as the sandbox's
 * request log shows; every chat is still described.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { maxConcurrent, type LoggedRequest } from "../../src/sandbox/request-log";
import { connectAccount, newPhone } from "../messaging/support";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { incoming } from "../sync/support";

const GLOBAL = 4;
const PER_ACCOUNT = 3;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ UNIPILE_LOOKUP_CONCURRENCY: String(GLOBAL), UNIPILE_LOOKUP_CONCURRENCY_PER_ACCOUNT: String(PER_ACCOUNT) });
});
afterAll(async () => {
  await h.control("DELETE", "/sandbox/faults");
  await h.close();
});

/** Lookups of one chat: GET /chats/{id} and GET /chats/{id}/attendees. */
const lookupOf = (r: LoggedRequest) => /^\/api\/v1\/chats\/([^/]+)(\/attendees)?$/.exec(r.path)?.[1];

describe("bounded lookups", () => {
  test("200 new chats at once: at most the bounded number of lookups at the sandbox at a time", async () => {
    // Given: two accounts, and Unipile answering in 40 ms
    const accounts = [await connectAccount(h), await connectAccount(h)];
    await h.control("POST", "/sandbox/faults", { latency_ms: 40 });
    await h.control("DELETE", "/sandbox/requests");

    // When: 100 contacts write to each account at once
    const chats = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const account = accounts[i % 2] as (typeof accounts)[number];
        return incoming(h, account.unipileAccountId, { from: newPhone(), name: `Contact ${i}`, text: "Bonjour" }).then((c) => ({ chatId: c.chat_id, account: account.unipileAccountId }));
      }),
    );
    const accountOf = new Map(chats.map((c) => [c.chatId, c.account]));

    // Then: every chat is looked up (chat and attendees), never more than the bounds at once
    const lookups = await waitFor(async () => {
      const log = await h.control<{ items: LoggedRequest[] }>("GET", "/sandbox/requests?method=GET&path_prefix=/api/v1/chats/");
      const mine = log.items.filter((r) => {
        const chatId = lookupOf(r);
        return chatId !== undefined && accountOf.has(chatId) && r.endedAt !== null;
      });
      return mine.length >= 400 ? mine : undefined;
    }, 60000);
    expect(new Set(lookups.map(lookupOf)).size).toBe(200);
    const overall = maxConcurrent(lookups);
    expect(overall).toBeLessThanOrEqual(GLOBAL);
    expect(overall).toBeGreaterThan(1);
    for (const account of accounts) {
      expect(maxConcurrent(lookups.filter((r) => accountOf.get(lookupOf(r) as string) === account.unipileAccountId))).toBeLessThanOrEqual(PER_ACCOUNT);
    }
    await h.deps.messaging.fetcher.settled();
  }, 90000);
});
