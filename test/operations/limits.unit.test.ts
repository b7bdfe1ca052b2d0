/**
 * The pure parts of the limits: the token bucket, the send pacing rules
 * (given/when/then over a folded state), the in-memory pacing with an
 * injected clock, and the Unipile budget's order (commands first).
 */
import { describe, expect, test } from "bun:test";
import { take } from "../../src/lib/token-bucket";
import { createSendPacing } from "../../src/sends/pacing";
import { decidePacing, emptyPacingState, type PacedSend, type PacingRefusal, type PacingRules } from "../../src/sends/pacing-rules";
import { createRequestBudget } from "../../src/unipile/request-budget";

const PACING = { enabled: true, perMinute: 6, burst: 2, newChatsPerDay: 3, newChatsPerDayWarmup: 1, warmupDays: 7, chatMinGapMs: 1000 };
const DAY = 86_400_000;

describe("token bucket", () => {
  test("starts full, refuses past the burst with the wait for one token, refills with time", () => {
    const rule = { perSecond: 2, burst: 2 };
    const a = take(undefined, rule, 0);
    const b = take(a.state, rule, 0);
    const c = take(b.state, rule, 0);
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
    expect(c.retryAfterMs).toBe(500);
    expect(take(c.state, rule, 500).allowed).toBe(true);
  });
});

describe("send pacing rules", () => {
  const linkedLongAgo = new Date(0);
  /** Folds sends through the rules from an empty state; each answer is null (sent) or the refusal. */
  function pace(rules: PacingRules) {
    let state = emptyPacingState();
    return (send: Partial<PacedSend> & { at: number }): PacingRefusal | null => {
      const outcome = decidePacing(state, { accountId: "a", chatKey: "c", newChat: false, linkedAt: linkedLongAgo, ...send }, rules, send.at);
      if ("refusal" in outcome) return outcome.refusal;
      state = outcome.state;
      return null;
    };
  }
  const T = 10 * DAY;

  test("a least gap between two messages to one chat; other chats are not held by it", () => {
    const send = pace({ ...PACING, perMinute: 6000, burst: 100 });
    expect(send({ chatKey: "c1", at: T })).toBeNull();
    expect(send({ chatKey: "c1", at: T })).toMatchObject({ limit: "chat_gap", retryAfterMs: 1000 });
    expect(send({ chatKey: "c2", at: T })).toBeNull();
    expect(send({ chatKey: "c1", at: T + 1000 })).toBeNull();
  });

  test("messages per minute per account with a burst; a refused send takes nothing", () => {
    const send = pace({ ...PACING, chatMinGapMs: 0 });
    expect([send({ at: T }), send({ at: T })]).toEqual([null, null]);
    expect(send({ at: T })).toMatchObject({ limit: "account_rate", retryAfterMs: 10_000 });
    expect(send({ at: T + 10_000 })).toBeNull();
  });

  test("new chats per rolling day: the warm-up quota while the account is young, the full one after", () => {
    const rules = { ...PACING, chatMinGapMs: 0, perMinute: 6000, burst: 100 };
    const young = pace(rules);
    const linkedYesterday = new Date(T - DAY);
    expect(young({ newChat: true, linkedAt: linkedYesterday, chatKey: "n1", at: T })).toBeNull();
    expect(young({ newChat: true, linkedAt: linkedYesterday, chatKey: "n2", at: T })).toMatchObject({ limit: "new_chats_per_day", retryAfterMs: DAY });
    expect(young({ newChat: false, linkedAt: linkedYesterday, chatKey: "n1", at: T })).toBeNull();
    expect(young({ newChat: true, linkedAt: linkedYesterday, chatKey: "n2", at: T + DAY })).toBeNull();
    const unknown = pace(rules);
    expect(unknown({ newChat: true, linkedAt: null, chatKey: "n1", at: T })).toBeNull();
    expect(unknown({ newChat: true, linkedAt: null, chatKey: "n2", at: T })).toMatchObject({ limit: "new_chats_per_day" });
    const old = pace(rules);
    expect([1, 2, 3].map((i) => old({ newChat: true, chatKey: `n${i}`, at: T }))).toEqual([null, null, null]);
    expect(old({ newChat: true, chatKey: "n4", at: T })).toMatchObject({ limit: "new_chats_per_day" });
  });
});

describe("send pacing", () => {
  test("kept in memory without a database; disabled, nothing is paced", async () => {
    let now = 10 * DAY;
    const pacing = createSendPacing({ ...PACING, chatMinGapMs: 0 }, { now: () => now });
    const send = () => pacing.reserve({ accountId: "a", chatKey: "c", newChat: false, linkedAt: new Date(0) });
    expect([await send(), await send()]).toEqual([null, null]);
    expect(await send()).toMatchObject({ limit: "account_rate" });
    now += 10_000;
    expect(await send()).toBeNull();
    const off = createSendPacing({ ...PACING, enabled: false }, { now: () => 0 });
    for (let i = 0; i < 10; i++) expect(await off.reserve({ accountId: "a", chatKey: "c", newChat: true, linkedAt: null })).toBeNull();
  });
});

describe("Unipile request budget", () => {
  test("past the budget, a command waiting goes before background work queued earlier", async () => {
    const budget = createRequestBudget({ perSecond: 20 });
    const order: string[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 25; i++) all.push(budget.acquire("background").then(() => void order.push(`b${i}`)));
    all.push(budget.acquire("command").then(() => void order.push("command")));
    await Promise.all(all);
    // The first 20 go at once (a second's worth); the command is the next to go
    expect(order.indexOf("command")).toBe(20);
  });
});
