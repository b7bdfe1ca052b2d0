/**
 * Text JSON allows and Postgres cannot store (NUL, unpaired surrogates):
 * replaced by U+FFFD in data and metadata, escaped in ids, noted in the
 * event, with what came kept as raw bytes. Pure: no database.
 */
import { describe, expect, test } from "bun:test";
import type { NewStreamEvent, SanitizedNote } from "../../src/event-store/event";
import { encodeEvents } from "../../src/event-store/rows";
import { isStorable, jsonNeedsCare, type ReplacementNote, replaceUnstorable, storableId, storableText } from "../../src/event-store/storable";
import { isDataError, unprocessableFact, unprocessableKey } from "../../src/event-store/unprocessable";

const FFFD = "\uFFFD";
const HIGH = "\uD83D"; // the first half of 😀
const LOW = "\uDE00"; // the second half
const note = (): ReplacementNote => ({ replaced: 0, paths: [] });

interface Encoded {
  streamId: string | null;
  type: string;
  data: unknown;
  metadata: Record<string, unknown> & { sanitized?: SanitizedNote };
  dedupeKey: string | null;
  raw?: string;
}
const encode = (...events: NewStreamEvent[]) => JSON.parse(encodeEvents(events)) as Encoded[];
const fact = (data: unknown, extra: Partial<NewStreamEvent> = {}): NewStreamEvent => ({
  streamId: "unipile-chat:c1",
  type: "UnipileWebhookReceived",
  data,
  metadata: { source: "webhook" },
  dedupeKey: "unipile-message:m1",
  ...extra,
});

describe("what Postgres can store", () => {
  test("NUL and unpaired surrogates are not storable; valid pairs, U+FFFD and other control characters are", () => {
    expect([`a\u0000b`, `a${HIGH}`, `${LOW}a`, `${LOW}${HIGH}`].map(isStorable)).toEqual([false, false, false, false]);
    expect([`a${HIGH}${LOW}b`, "😀", FFFD, "\u0001\u001f", "", "plain"].map(isStorable)).toEqual([true, true, true, true, true, true]);
  });

  test("JSON.stringify output needs care exactly when it escaped NUL or a lone surrogate", () => {
    expect(jsonNeedsCare(JSON.stringify({ a: "x\u0000" }))).toBe(true);
    expect(jsonNeedsCare(JSON.stringify({ a: `x${LOW}` }))).toBe(true);
    expect(jsonNeedsCare(JSON.stringify({ [`k${HIGH}`]: 1 }))).toBe(true);
    expect(jsonNeedsCare(JSON.stringify({ a: "😀 \u0001 \\u00e9 é" }))).toBe(false);
  });
});

describe("replaceUnstorable", () => {
  test("given NUL and lone high and low surrogates in values, when replaced, then each becomes one U+FFFD, counted with its path", () => {
    const n = note();
    const out = replaceUnstorable({ text: `a\u0000b${HIGH}c${LOW}`, ok: "😀" }, "/data", n);
    expect(out).toEqual({ text: `a${FFFD}b${FFFD}c${FFFD}`, ok: "😀" });
    expect(n).toEqual({ replaced: 3, paths: ["/data/text"] });
  });

  test("given valid pairs, U+FFFD already there and every other JSON type, when replaced, then nothing changes", () => {
    const value = { emoji: `${HIGH}${LOW}`, already: FFFD, n: 1.5, neg: -0, t: true, f: false, z: null, list: [1, "two", [null]], empty: {}, none: [] };
    const n = note();
    expect(replaceUnstorable(value, "", n)).toEqual(value);
    expect(n.replaced).toBe(0);
    for (const scalar of [null, true, 3, "plain"]) expect(replaceUnstorable(scalar, "", note())).toBe(scalar);
  });

  test("given unstorable keys, when replaced, then the keys are replaced, and two keys that become equal both stay", () => {
    const n = note();
    const out = replaceUnstorable({ [`a\u0000`]: 1, [`a${HIGH}`]: 2, [`a${FFFD}`]: 3, "x/y": { [`k${LOW}`]: "v" } }, "", n) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual([`a${FFFD}`, `a${FFFD}${FFFD}`, `a${FFFD}${FFFD}${FFFD}`, "x/y"].sort());
    expect(out[`a${FFFD}`]).toBe(3);
    expect(Object.values(out).filter((v) => v === 1 || v === 2)).toHaveLength(2);
    expect(out["x/y"]).toEqual({ [`k${FFFD}`]: "v" });
    expect(n.replaced).toBe(3);
    expect(n.paths).toContain(`/x~1y/k${FFFD}`);
  });

  test("a __proto__ key stays a plain key", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": "x\\u0000"}}') as object;
    const out = replaceUnstorable(parsed, "", note()) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"polluted":"x${FFFD}"}}`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("given 100,000 levels of nesting, when replaced, then the walk does not overflow the stack", () => {
    let deep: unknown = "x\u0000";
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    const n = note();
    replaceUnstorable(deep, "", n);
    expect(n.replaced).toBe(1);
  });

  test("only the first 20 paths are kept; the count covers all", () => {
    const n = note();
    replaceUnstorable(Array.from({ length: 50 }, () => "\u0000\u0000"), "", n);
    expect(n.replaced).toBe(100);
    expect(n.paths).toHaveLength(20);
  });
});

describe("ids", () => {
  test("an id keeps each unstorable code unit as its JSON escape, so two different ids stay different", () => {
    expect(storableId("chat\u0000x")).toBe("chat\\u0000x");
    expect(storableId(`chat${HIGH}`)).toBe("chat\\ud83d");
    expect(storableId(`chat${LOW}`)).toBe("chat\\ude00");
    expect(storableId(`chat${HIGH}${LOW}`)).toBe(`chat${HIGH}${LOW}`);
    expect(new Set([`a\u0000`, `a${HIGH}`, `a${LOW}`, "a"].map(storableId)).size).toBe(4);
    expect(storableText(`a\u0000${HIGH}`)).toBe(`a${FFFD}${FFFD}`);
  });
});

describe("encodeEvents", () => {
  test("given storable events, when encoded, then the JSON is exactly the events' and carries no raw", () => {
    const [e] = encode(fact({ text: "Bonjour 😀" }));
    expect(e).toEqual({ streamId: "unipile-chat:c1", type: "UnipileWebhookReceived", schemaVersion: 1, data: { text: "Bonjour 😀" }, metadata: { source: "webhook" }, dedupeKey: "unipile-message:m1" } as never);
  });

  test("given NUL in data, stream id and dedupe key, when encoded, then data has U+FFFD, ids the escape, the note says where, raw holds the event as it came", () => {
    const original = fact({ raw: { message: "a\u0000b", sender: { attendee_name: `Jo${HIGH}` } } }, { streamId: "unipile-chat:c\u0000", dedupeKey: "unipile-message:m\u0000" });
    const [e] = encode(original);
    expect(e?.data).toEqual({ raw: { message: `a${FFFD}b`, sender: { attendee_name: `Jo${FFFD}` } } });
    expect(e?.streamId).toBe("unipile-chat:c\\u0000");
    expect(e?.dedupeKey).toBe("unipile-message:m\\u0000");
    expect(e?.metadata.sanitized).toEqual({ replaced: 4, paths: ["/streamId", "/data/raw/message", "/data/raw/sender/attendee_name", "/dedupeKey"], raw: "event" });
    const came = JSON.parse(Buffer.from(e?.raw ?? "", "base64").toString("utf8")) as { data: unknown; streamId: string };
    expect(came.data).toEqual(original.data);
    expect(came.streamId).toBe("unipile-chat:c\u0000");
  });

  test("given received bytes, when the event needed care, then raw holds those bytes; when it did not, nothing", () => {
    const bytes = new TextEncoder().encode('{"text":"a\\u0000"}');
    const [cared] = encode(fact({ text: "a\u0000" }, { received: { bytes, lossy: false } }));
    expect(Buffer.from(cared?.raw ?? "", "base64")).toEqual(Buffer.from(bytes));
    expect(cared?.metadata.sanitized?.raw).toBe("received");
    const [plain] = encode(fact({ text: "a" }, { received: { bytes, lossy: false } }));
    expect(plain?.raw).toBeUndefined();
    expect(plain?.metadata.sanitized).toBeUndefined();
  });

  test("given bytes that were not UTF-8, when encoded, then raw keeps them and the note says so, even with nothing replaced", () => {
    const bytes = new Uint8Array([0x7b, 0x7d, 0xff]);
    const [e] = encode(fact({ text: FFFD }, { received: { bytes, lossy: true } }));
    expect(e?.metadata.sanitized).toEqual({ replaced: 0, paths: [], invalidUtf8: true, raw: "received" });
    expect([...Buffer.from(e?.raw ?? "", "base64")]).toEqual([0x7b, 0x7d, 0xff]);
  });

  test("in a batch, only the event that needed care changes; a false alarm (an escaped backslash) changes nothing", () => {
    const [a, b, c] = encode(fact({ text: "ok" }), fact({ text: "\u0000" }), fact({ text: "\\u0000 is only text" }));
    expect(a?.metadata.sanitized).toBeUndefined();
    expect(b?.metadata.sanitized?.replaced).toBe(1);
    expect(c?.data).toEqual({ text: "\\u0000 is only text" });
    expect(c?.metadata.sanitized).toBeUndefined();
  });
});

describe("unprocessable facts", () => {
  test("data errors are the SQLSTATE classes 22, 23, 54 and P0; connection and server errors are not", () => {
    expect(["22P05", "22021", "23502", "54000", "P0001"].map((code) => isDataError({ code }))).toEqual([true, true, true, true, true]);
    expect(["08006", "57P01", "53300", "40001", "CONNECTION_CLOSED", "ECONNREFUSED", undefined].map((code) => isDataError({ code }))).toEqual([false, false, false, false, false, false, false]);
    expect(isDataError(new Error("no code"))).toBe(false);
  });

  test("the record says what was refused and why, is keyed by the original's key, and keeps what came", () => {
    const original = fact({ unipileAccountId: "acc-1", text: "POISON" });
    const record = unprocessableFact(original, { code: "P0001", message: "refused" });
    expect(record).toMatchObject({
      streamId: "unprocessable-facts",
      type: "UnprocessableFact",
      data: { streamId: "unipile-chat:c1", type: "UnipileWebhookReceived", dedupeKey: "unipile-message:m1", reason: "refused", sqlState: "P0001", unipileAccountId: "acc-1", raw: "event" },
      dedupeKey: "unprocessable:unipile-message:m1",
    });
    expect(JSON.parse(new TextDecoder().decode(record.received?.bytes)).data).toEqual(original.data);
    const long = "k".repeat(10_000);
    expect(unprocessableKey(long)).toMatch(/^unprocessable:sha256:[0-9a-f]{64}$/);
    expect(unprocessableFact(fact({}, { streamId: long }), { code: "54000", message: "too big" }).data.streamId?.length).toBeLessThan(1100);
  });
});
