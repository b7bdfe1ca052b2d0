/**
 * The pure parts of the limits: the token bucket, send pacing with an
 * injected clock, and the Unipile budget's order (commands first).
 */
import { describe, expect, test } from "bun:test";
import { take } from "../../src/lib/token-bucket";
import { createSendPacing } from "../../src/messaging/send-pacing";
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

describe("send pacing", () => {
  const linkedLongAgo = new Date(0);
  test("a least gap between two messages to one chat; other chats are not held by it", () => {
    let now = 10 * DAY;
    const pacing = createSendPacing({ ...PACING, perMinute: 6000, burst: 100 }, () => now);
    const send = (chatKey: string) => pacing.reserve({ accountId: "a", chatKey, newChat: false, linkedAt: linkedLongAgo });
    expect(send("c1")).toBeNull();
    expect(send("c1")).toMatchObject({ limit: "chat_gap", retryAfterMs: 1000 });
    expect(send("c2")).toBeNull();
    now += 1000;
    expect(send("c1")).toBeNull();
  });

  test("messages per minute per account with a burst; a refused send takes nothing", () => {
    let now = 10 * DAY;
    const pacing = createSendPacing({ ...PACING, chatMinGapMs: 0 }, () => now);
    const send = () => pacing.reserve({ accountId: "a", chatKey: "c", newChat: false, linkedAt: linkedLongAgo });
    expect([send(), send()]).toEqual([null, null]);
    expect(send()).toMatchObject({ limit: "account_rate", retryAfterMs: 10_000 });
    expect(pacing.reserve({ accountId: "b", chatKey: "c", newChat: false, linkedAt: linkedLongAgo })).toBeNull();
    now += 10_000;
    expect(send()).toBeNull();
  });

  test("new chats per rolling day: the warm-up quota while the account is young, the full one after", () => {
    let now = 10 * DAY;
    const pacing = createSendPacing({ ...PACING, chatMinGapMs: 0, perMinute: 6000, burst: 100 }, () => now);
    const young = new Date(now - DAY);
    const newChat = (accountId: string, linkedAt: Date | null, chatKey: string) => pacing.reserve({ accountId, chatKey, newChat: true, linkedAt });
    expect(newChat("young", young, "n1")).toBeNull();
    expect(newChat("young", young, "n2")).toMatchObject({ limit: "new_chats_per_day", retryAfterMs: DAY });
    expect(newChat("unknown", null, "n1")).toBeNull();
    expect(newChat("unknown", null, "n2")).toMatchObject({ limit: "new_chats_per_day" });
    expect([newChat("old", linkedLongAgo, "n1"), newChat("old", linkedLongAgo, "n2"), newChat("old", linkedLongAgo, "n3")]).toEqual([null, null, null]);
    expect(newChat("old", linkedLongAgo, "n4")).toMatchObject({ limit: "new_chats_per_day" });
    now += DAY;
    expect(newChat("young", young, "n2")).toBeNull();
  });

  test("disabled: nothing is paced", () => {
    const pacing = createSendPacing({ ...PACING, enabled: false }, () => 0);
    for (let i = 0; i < 10; i++) expect(pacing.reserve({ accountId: "a", chatKey: "c", newChat: true, linkedAt: null })).toBeNull();
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
