import { describe, expect, test } from "bun:test";
import {
  advancePosition,
  backfillToStart,
  backoffDelayMs,
  isOutage,
  jitteredIntervalMs,
  pollFrom,
  pollTrigger,
  shouldRecordPoll,
  syncStateOf,
  windowAfter,
} from "../../src/sync/decider";
import type { AccountBackfillCompleted, AccountBackfillProgressed, AccountSyncCompleted, BackfillRunData } from "../../src/sync/events";

const run = (overrides: Partial<BackfillRunData> = {}): BackfillRunData => ({
  unipileAccountId: "acc",
  runId: "run-1",
  reason: "connected",
  seq: 3,
  phase: "messages",
  cursor: "c3",
  chatsDone: 20,
  messagesSeen: 750,
  startedAt: "2026-01-01T10:00:00.000Z",
  at: "2026-01-01T10:00:05.000Z",
  ...overrides,
});
const progressed = (overrides: Partial<BackfillRunData> = {}): AccountBackfillProgressed => ({ type: "AccountBackfillProgressed", data: run(overrides) });
const completed = (overrides: Partial<BackfillRunData> = {}): AccountBackfillCompleted => ({ type: "AccountBackfillCompleted", data: run(overrides) });
const polled = (position: string | null, seq = 4): AccountSyncCompleted => ({
  type: "AccountSyncCompleted",
  data: {
    unipileAccountId: "acc",
    runId: "poll",
    seq,
    trigger: "interval",
    after: null,
    positionBefore: null,
    position,
    chatsSeen: 0,
    chatsRecorded: 0,
    messagesSeen: 0,
    messagesNew: 0,
    newMessageIds: [],
    gapSince: null,
    at: "2026-01-01T10:01:00.000Z",
  },
});
const connected = { status: "connected" as const, lastSync: null, syncGapSince: null };

describe("the sync state", () => {
  test("comes from the last event of each stream: a running import resumes at its cursor", () => {
    const state = syncStateOf(progressed(), polled("2026-01-01T10:00:30.000Z"));
    expect(state).toMatchObject({ position: "2026-01-01T10:00:30.000Z", seq: 4, backfill: { runId: "run-1", seq: 3, cursor: "c3", done: false } });
    expect(syncStateOf(completed(), null)).toMatchObject({ position: null, seq: 0, backfill: { done: true } });
    expect(syncStateOf(null, null)).toEqual({ position: null, seq: 0, lastGapFilled: null, backfill: null });
  });
});

describe("when a history import starts", () => {
  test("a connected account that never had one gets the first", () => {
    expect(backfillToStart(connected, null)).toEqual({ reason: "connected", syncSuccessAt: null });
    expect(backfillToStart({ ...connected, status: "credentials_required" }, null)).toBeNull();
  });

  test("a SYNC_SUCCESS newer than the last import's start asks for another, once the running one is done", () => {
    const lastSync = new Date("2026-01-01T10:00:02.000Z");
    const running = syncStateOf(progressed(), null).backfill;
    const done = syncStateOf(completed(), null).backfill;
    expect(backfillToStart({ ...connected, lastSync }, running)).toBeNull();
    expect(backfillToStart({ ...connected, lastSync }, done)).toEqual({ reason: "sync_success", syncSuccessAt: "2026-01-01T10:00:02.000Z" });
    expect(backfillToStart({ ...connected, lastSync: new Date("2026-01-01T09:59:00.000Z") }, done)).toBeNull();
    expect(backfillToStart({ ...connected, lastSync }, null)).toEqual({ reason: "sync_success", syncSuccessAt: "2026-01-01T10:00:02.000Z" });
  });
});

describe("the poll window", () => {
  test("starts at the position, else at the import's start, minus the overlap", () => {
    expect(pollFrom(syncStateOf(progressed(), polled("2026-01-01T10:00:30.000Z")))).toBe("2026-01-01T10:00:30.000Z");
    expect(pollFrom(syncStateOf(progressed(), null))).toBe("2026-01-01T10:00:00.000Z");
    expect(pollFrom(syncStateOf(null, null))).toBeNull();
    expect(windowAfter("2026-01-01T10:00:00.000Z", 300_000)).toBe("2026-01-01T09:55:00.000Z");
    expect(windowAfter(null, 300_000)).toBeNull();
  });

  test("the position moves to the newest message read and never back", () => {
    const from = "2026-01-01T10:00:00.000Z";
    expect(advancePosition(from, ["2026-01-01T09:58:00.000Z", "2026-01-01T10:02:00.000Z", "2026-01-01T10:01:00.000Z"])).toBe("2026-01-01T10:02:00.000Z");
    expect(advancePosition(from, ["2026-01-01T09:58:00.000Z"])).toBe(from);
    expect(advancePosition(from, [])).toBe(from);
    expect(advancePosition(null, [])).toBeNull();
    expect(advancePosition(null, ["not a date", "2026-01-01T10:00:00.000Z"])).toBe(from);
  });
});

describe("why a poll runs and whether it is recorded", () => {
  const now = new Date("2026-01-01T12:00:00.000Z");
  const base = { manual: false, gapSince: null, lastGapFilled: null, lastSuccessAt: new Date("2026-01-01T11:59:50.000Z"), now, catchUpAfterMs: 60_000 };

  test("an open gap wins, then a long silence, then the asker", () => {
    expect(pollTrigger({ ...base, gapSince: new Date("2026-01-01T11:00:00.000Z"), manual: true })).toBe("gap_fill");
    // A gap the last recorded gap fill answered (the projection has not folded it yet) is not filled twice.
    expect(pollTrigger({ ...base, gapSince: new Date("2026-01-01T11:00:00.000Z"), lastGapFilled: "2026-01-01T11:00:00.000Z" })).toBe("interval");
    expect(pollTrigger({ ...base, lastSuccessAt: new Date("2026-01-01T11:00:00.000Z"), manual: true })).toBe("catch_up");
    expect(pollTrigger({ ...base, manual: true })).toBe("manual");
    expect(pollTrigger(base)).toBe("interval");
    expect(pollTrigger({ ...base, lastSuccessAt: null })).toBe("interval");
  });

  test("gap fills and catch-ups always; others when they found something or moved the position by the overlap", () => {
    const quiet = { trigger: "interval" as const, messagesNew: 0, chatsRecorded: 0, positionBefore: "2026-01-01T10:00:00.000Z", position: "2026-01-01T10:00:00.000Z" };
    expect(shouldRecordPoll(quiet, 60_000)).toBe(false);
    expect(shouldRecordPoll({ ...quiet, trigger: "gap_fill" }, 60_000)).toBe(true);
    expect(shouldRecordPoll({ ...quiet, trigger: "catch_up" }, 60_000)).toBe(true);
    expect(shouldRecordPoll({ ...quiet, messagesNew: 1 }, 60_000)).toBe(true);
    expect(shouldRecordPoll({ ...quiet, chatsRecorded: 1 }, 60_000)).toBe(true);
    expect(shouldRecordPoll({ ...quiet, position: "2026-01-01T10:00:59.999Z" }, 60_000)).toBe(false);
    expect(shouldRecordPoll({ ...quiet, position: "2026-01-01T10:01:00.000Z" }, 60_000)).toBe(true);
    expect(shouldRecordPoll({ ...quiet, positionBefore: null }, 60_000)).toBe(true);
    expect(shouldRecordPoll({ ...quiet, positionBefore: null, position: null }, 60_000)).toBe(false);
  });
});

describe("waiting", () => {
  test("the interval is jittered by ±20%", () => {
    expect(jitteredIntervalMs(1000, 0)).toBe(800);
    expect(jitteredIntervalMs(1000, 0.5)).toBe(1000);
    expect(jitteredIntervalMs(1000, 0.999)).toBe(1200);
  });

  test("backoff doubles per failure between half and all of the step, caps, and never undercuts Retry-After", () => {
    const input = { baseMs: 100, maxMs: 1000, random: 1 };
    expect([1, 2, 3, 4, 5, 6].map((failures) => backoffDelayMs({ ...input, failures }))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelayMs({ ...input, failures: 3, random: 0 })).toBe(200);
    expect(backoffDelayMs({ ...input, failures: 1, retryAfterMs: 3000 })).toBe(3000);
    expect(backoffDelayMs({ ...input, failures: 4, retryAfterMs: 10 })).toBe(800);
  });

  test("5xx, 429, timeouts and network errors are outages; an account's own 4xx is not", () => {
    const http = (status: number) => ({ kind: "http" as const, status, type: "", title: "", detail: "" });
    expect([http(500), http(503), http(429), { kind: "timeout" as const, timeoutMs: 1 }, { kind: "network" as const, message: "" }].every(isOutage)).toBe(true);
    expect([http(401), http(404), { kind: "invalid_response" as const, message: "", issues: [] }].some(isOutage)).toBe(false);
  });
});
