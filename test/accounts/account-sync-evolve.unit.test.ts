import { describe, expect, test } from "bun:test";
import { type AccountRow, evolveAccount } from "../../src/accounts/account-evolve";
import { countObservedMessage, evolveAccountSync, type ObservedMessage } from "../../src/sync/account-sync-evolve";
import type { AccountEvent } from "../../src/accounts/events";
import type { BackfillRunData, SyncEvent } from "../../src/sync/events";

const ID = "acc-1";
const at = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, "0")}.000Z`;

const fold = (events: (AccountEvent | SyncEvent | ObservedMessage)[]) =>
  events.reduce<AccountRow | null>((row, event) => {
    if (event.type === "UnipileMessageObserved") return countObservedMessage(row, event);
    if (event.type.startsWith("AccountBackfill") || event.type === "AccountSyncCompleted") return evolveAccountSync(row, event as SyncEvent);
    return evolveAccount(row, event as AccountEvent);
  }, null);

const requested: AccountEvent = {
  type: "AccountConnectionRequested",
  data: { accountId: "8f7e3c55-7d3a-4c4e-9f59-0d9d7f1d8a01", userId: "u", unipileAccountId: ID, provider: "whatsapp", method: "qr", expiresAt: at(59), at: at(0) },
};
const status = (unipileStatus: string, s: number): AccountEvent => ({ type: "AccountStatusReported", data: { unipileAccountId: ID, unipileStatus, via: "webhook", at: at(s), raw: {} } });
const runData = (overrides: Partial<BackfillRunData>): BackfillRunData => ({
  unipileAccountId: ID,
  runId: "run-1",
  reason: "connected",
  seq: 0,
  phase: "chats",
  cursor: null,
  chatsDone: 0,
  messagesSeen: 0,
  startedAt: at(2),
  at: at(2),
  ...overrides,
});
const observed = (via: string, syncRunId?: string): ObservedMessage => ({ type: "UnipileMessageObserved", data: { unipileAccountId: ID, via }, metadata: { syncRunId } });
const synced = (trigger: "interval" | "gap_fill", position: string, gapSince: string | null, s: number): SyncEvent => ({
  type: "AccountSyncCompleted",
  data: { unipileAccountId: ID, runId: "p", seq: 1, trigger, after: null, positionBefore: null, position, chatsSeen: 0, chatsRecorded: 0, messagesSeen: 1, messagesNew: 1, newMessageIds: [], gapSince, at: at(s) },
});

describe("the sync on the account row", () => {
  test("an import's progress, completion and the messages it brought", () => {
    const row = fold([
      requested,
      status("OK", 1),
      { type: "AccountBackfillStarted", data: { ...runData({}), syncSuccessAt: null } },
      { type: "AccountBackfillProgressed", data: runData({ seq: 1, phase: "messages", chatsDone: 20 }) },
      observed("backfill", "run-1"),
      observed("backfill", "run-1"),
      observed("poll", "poll-run"),
      observed("webhook-ish"),
      { type: "AccountBackfillProgressed", data: runData({ seq: 2, phase: "messages", cursor: "c", chatsDone: 20, messagesSeen: 250 }) },
    ]);
    expect(row).toMatchObject({
      backfillRunId: "run-1",
      backfillState: "running",
      backfillChatsDone: 20,
      backfillMessagesSeen: 250,
      backfillMessagesImported: 2,
      syncMessagesImported: 3,
      backfillCompletedAt: null,
    });
    const done = evolveAccountSync(row, { type: "AccountBackfillCompleted", data: runData({ seq: 3, chatsDone: 20, messagesSeen: 300, at: at(9) }) });
    expect(done).toMatchObject({ backfillState: "done", backfillCompletedAt: new Date(at(9)), backfillMessagesSeen: 300 });
  });

  test("a new import starts its counts afresh; steps of another run change nothing", () => {
    const first = fold([requested, status("OK", 1), { type: "AccountBackfillStarted", data: { ...runData({}), syncSuccessAt: null } }, observed("backfill", "run-1")]);
    const second = evolveAccountSync(first, { type: "AccountBackfillStarted", data: { ...runData({ runId: "run-2", reason: "sync_success", startedAt: at(5) }), syncSuccessAt: at(4) } });
    expect(second).toMatchObject({ backfillRunId: "run-2", backfillReason: "sync_success", backfillMessagesImported: 0, syncMessagesImported: 1 });
    expect(evolveAccountSync(second, { type: "AccountBackfillProgressed", data: runData({ seq: 1, chatsDone: 7 }) })).toBe(second);
  });

  test("leaving connected opens a gap; a gap fill while connected closes it; one while down does not", () => {
    const down = fold([requested, status("OK", 1), status("CREDENTIALS", 3), status("OK", 6)]);
    expect(down?.syncGapSince).toEqual(new Date(at(3)));
    const filled = evolveAccountSync(down, synced("gap_fill", at(7), at(3), 8));
    expect(filled).toMatchObject({ syncGapSince: null, syncPosition: new Date(at(7)), syncLastTrigger: "gap_fill", syncLastRunAt: new Date(at(8)) });

    const dropsAgain = fold([requested, status("OK", 1), status("ERROR", 3), status("OK", 4), status("STOPPED", 5), synced("gap_fill", at(5), at(3), 6)]);
    expect(dropsAgain?.syncGapSince).toEqual(new Date(at(3)));
  });

  test("no gap before the first connection, none for the end of an account", () => {
    expect(fold([requested, status("CONNECTING", 1), status("OK", 2)])?.syncGapSince).toBeNull();
    expect(fold([requested, status("OK", 1), status("DELETED", 2)])?.syncGapSince).toBeNull();
  });

  test("sync events and counts never create a row for an unknown account", () => {
    expect(evolveAccountSync(null, synced("interval", at(1), null, 1))).toBeNull();
    expect(countObservedMessage(null, observed("poll"))).toBeNull();
  });
});
