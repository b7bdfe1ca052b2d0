import { describe, expect, test } from "bun:test";
import { decodeLogCursor, decodeStreamCursor, encodeLogCursor, encodeStreamCursor } from "../../src/audit/cursor";
import { eventMatches } from "../../src/audit/event-query";

describe("log cursors", () => {
  test("carry the (transaction id, position) pair, opaquely", () => {
    const position = { transactionId: "18446744073709551615", globalPosition: 9_007_199_254_740_991 };
    const cursor = encodeLogCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain("18446744073709551615");
    expect(decodeLogCursor(cursor)).toEqual(position);
  });

  test.each([
    ["garbage", "not a cursor!"],
    ["empty", ""],
    ["base64 of something else", btoa("hello")],
    ["a stream cursor", encodeStreamCursor(3)],
    ["a transaction id beyond xid8", btoa("l1.18446744073709551616.1").replaceAll("=", "")],
    ["a position beyond 2^53", btoa("l1.5.9007199254740993").replaceAll("=", "")],
    ["far too long", "A".repeat(200)],
  ])("refuse %s", (_, cursor) => {
    expect(decodeLogCursor(cursor)).toBeNull();
  });
});

describe("stream cursors", () => {
  test("carry a stream version and refuse log cursors", () => {
    expect(decodeStreamCursor(encodeStreamCursor(42))).toBe(42);
    expect(decodeStreamCursor(encodeLogCursor({ transactionId: "7", globalPosition: 42 }))).toBeNull();
    expect(decodeStreamCursor("%%%")).toBeNull();
  });
});

describe("event matches", () => {
  test("an account is its stream or any event naming it", () => {
    expect(eventMatches(undefined, "acc-1")).toEqual([{ streamId: "account:acc-1" }, { data: { key: "unipileAccountId", value: "acc-1" } }]);
  });

  test("an account on a chat stream: only that stream's events naming it", () => {
    expect(eventMatches("unipile-chat:c1", "acc-1")).toEqual([{ streamId: "unipile-chat:c1", data: { key: "unipileAccountId", value: "acc-1" } }]);
  });

  test("an account on its own stream: the stream, or what on it names the account", () => {
    expect(eventMatches("account:acc-1", "acc-1")).toEqual([
      { streamId: "account:acc-1" },
      { streamId: "account:acc-1", data: { key: "unipileAccountId", value: "acc-1" } },
    ]);
  });

  test("no account: the stream alone, or everything", () => {
    expect(eventMatches("s", undefined)).toEqual([{ streamId: "s" }]);
    expect(eventMatches(undefined, undefined)).toEqual([]);
  });
});
