/** What an account card shows of a history import (src/console/ui/import-progress.ts): pure, no I/O. */
import { describe, expect, test } from "bun:test";
import { importShown } from "../../src/console/ui/import-progress";
import type { Account, ImportProgress } from "../../src/console/ui/model";

const account = (backfill: Account["sync"]["backfill"]): Account =>
  ({ accountId: "a1", connected: true, sync: { state: backfill?.state === "done" ? "live" : "backfilling", backfill } }) as Account;
const running = { state: "running" as const, reason: null, chatsDone: 40, messagesSeen: 0, messagesImported: 0, startedAt: null, completedAt: null };
const progress = (p: Partial<ImportProgress>): ImportProgress => ({ phase: "chats", chatsDone: 0, chatsTotal: null, messagesSeen: 0, messagesTotal: null, done: false, ...p });

describe("importShown", () => {
  test("given no import yet and no progress, when shown, then nothing", () => {
    expect(importShown(account(null), undefined)).toBeNull();
  });

  test("given the chats still being listed, when shown, then no total (an indeterminate bar)", () => {
    expect(importShown(account(running), progress({ chatsDone: 100 }))).toMatchObject({ done: false, chatsDone: 100, chatsTotal: null });
  });

  test("given the messages phase, when shown, then the chats' total and the messages read", () => {
    const shown = importShown(account(running), progress({ phase: "messages", chatsDone: 3, chatsTotal: 3, messagesSeen: 250 }));
    expect(shown).toMatchObject({ phase: "messages", chatsDone: 3, chatsTotal: 3, messagesSeen: 250, messagesTotal: null });
  });

  test("given the stream's end, when shown, then the bar at its total", () => {
    expect(importShown(account(running), progress({ done: true, chatsDone: 3, chatsTotal: 3, messagesSeen: 12 }))).toMatchObject({ done: true, chatsDone: 3, chatsTotal: 3 });
  });

  test("given no progress from the stream, when shown, then the account's own fields (the total once done)", () => {
    expect(importShown(account(running), undefined)).toMatchObject({ done: false, chatsDone: 40, chatsTotal: null });
    const done = { ...running, state: "done" as const, chatsDone: 3, messagesSeen: 12 };
    expect(importShown(account(done), undefined)).toMatchObject({ done: true, chatsDone: 3, chatsTotal: 3, messagesSeen: 12 });
  });

  test("given stale running progress after the account says done, when shown, then the account's end wins", () => {
    const done = { ...running, state: "done" as const, chatsDone: 3, messagesSeen: 12 };
    expect(importShown(account(done), progress({ phase: "messages", chatsDone: 3, chatsTotal: 3, messagesSeen: 4 }))).toMatchObject({ done: true, messagesSeen: 12 });
  });
});
