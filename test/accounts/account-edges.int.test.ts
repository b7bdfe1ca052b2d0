/**
 * The edges of an account's life: a late scan of an expired attempt, DELETE
 * on a deleted account, a drift check that gets 404 (it says why), deleted
 * and disconnected accounts out of the sync schedule and drift check (no
 * 404 warnings), and a second SYNC_SUCCESS after new history starting an
 * import.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openStream } from "../live/sse-client";
import { listConversations, newUser } from "../messaging/support";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { account, linkAccount, syncNow } from "../sync/support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ QR_EXPIRY_MS: "1000" });
});
afterAll(() => h.close());

type Json = Record<string, unknown>;
const statusBecomes = (userId: string, accountId: string, expected: string) =>
  waitFor(async () => {
    const a = await account(h, userId, accountId);
    return a.status === expected ? a : undefined;
  }, 10000);
const warningsAbout = (unipileAccountId: string) =>
  h.logs.map((line) => JSON.parse(line) as Json).filter((l) => (l.level as number) >= 40 && JSON.stringify(l).includes(unipileAccountId));

describe("an attempt that expired", () => {
  test("a late scan is accepted, visibly: the account moves from expired to connected on the event stream", async () => {
    const userId = newUser();
    const connection = (await (await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: userId })).json()) as { accountId: string; accountIdentifier: string };
    await waitFor(async () => {
      await h.deps.accountMonitor.expireDue();
      return (await account(h, userId, connection.accountId)).status === "expired";
    }, 10000);
    const client = await openStream(`${h.url}/api/events/stream`, await h.token(userId));
    await client.waitFor((events) => events.some((e) => e.event === "ready"));

    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, {});

    await statusBecomes(userId, connection.accountId, "connected");
    await client.waitFor((events) => events.some((e) => e.event === "account" && (e.data.account as Json).status === "connected"), 10000);
    client.close();
  });
});

describe("deleted and disconnected accounts", () => {
  test("DELETE on a deleted account answers already gone, and it stays deleted", async () => {
    const linked = await linkAccount(h);
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/status`, { message: "DELETED" });
    await statusBecomes(linked.userId, linked.accountId, "deleted");
    for (let i = 0; i < 2; i++) {
      const response = await h.request(`/api/unipile/account?accountId=${linked.accountId}`, { method: "DELETE", as: linked.userId });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ alreadyDisconnected: true, account: { status: "deleted" } });
    }
    expect((await account(h, linked.userId, linked.accountId)).status).toBe("deleted");
  });

  test("a drift check that gets 404 records why; then the account leaves the drift check and the sync, with no 404 warnings", async () => {
    const linked = await linkAccount(h);
    // Given: Unipile forgets the account without a webhook (what a sandbox restart without its state did)
    h.sandbox.sandbox.context.store.deleteAccount(linked.unipileAccountId);

    // When: the drift check runs
    await h.deps.accountMonitor.checkAll();

    // Then: deleted, saying why
    const deleted = await statusBecomes(linked.userId, linked.accountId, "deleted");
    expect(deleted.statusReason).toMatch(/drift check: Unipile answered 404 to GET \/accounts\/.+ \(it no longer has the account\)/);

    // And: further checks, a manual sync and a status webhook for it ask Unipile nothing, and log no warning
    const before = warningsAbout(linked.unipileAccountId).length;
    await h.deps.accountMonitor.checkAll();
    const [result] = await syncNow(h, linked.userId, linked.accountId);
    expect(result).toMatchObject({ outcome: "skipped" });
    h.deps.accountMonitor.checkSoon(linked.unipileAccountId);
    await h.deps.accountMonitor.stop();
    expect(warningsAbout(linked.unipileAccountId).length).toBe(before);
    expect((await account(h, linked.userId, linked.accountId)).status).toBe("deleted");
  });
});

describe("a second SYNC_SUCCESS", () => {
  test("after new history at Unipile, starts a new import that brings it", async () => {
    // Given: a linked account whose first import is done (SYNC_SUCCESS came with the scan)
    const linked = await linkAccount(h);
    const [first] = await syncNow(h, linked.userId, linked.accountId);
    expect(first).toMatchObject({ outcome: "synced", backfill: { state: "done" } });
    const before = await account(h, linked.userId, linked.accountId);

    // When: history arrives at Unipile, which reports SYNC_SUCCESS again (no other status between)
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/history`, { chats: 3, messages_per_chat: 4 });
    await h.control("POST", `/sandbox/accounts/${linked.unipileAccountId}/status`, { message: "SYNC_SUCCESS" });
    await waitFor(async () => (await account(h, linked.userId, linked.accountId)).lastSync !== before.lastSync, 10000);
    await syncNow(h, linked.userId, linked.accountId);

    // Then: a second import ran and brought the 12 messages
    const after = await waitFor(async () => {
      const a = await account(h, linked.userId, linked.accountId);
      return a.sync.backfill?.state === "done" && a.sync.backfill.messagesImported === 12 ? a : undefined;
    }, 20000);
    expect(after.sync.backfill).toMatchObject({ reason: "sync_success", chatsDone: 3 });
    const conversations = await waitFor(async () => {
      const page = (await listConversations(h, linked.userId, "limit=50")).items;
      return page.length === 3 ? page : undefined;
    }, 10000);
    expect(conversations.map((c) => c.messageCount)).toEqual([4, 4, 4]);
  });
});
