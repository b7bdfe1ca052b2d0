import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventStore, type EventStore, LOG_START, type NewEvent, systemMetadata } from "../../src/event-store";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let tdb: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  tdb = await createTestDatabase();
  store = createEventStore(tdb.sql);
});
afterAll(async () => {
  await tdb.drop();
});

const stream = (prefix = "test") => `${prefix}:${crypto.randomUUID()}`;
const event = (type: string, n: number, dedupeKey?: string): NewEvent => ({
  type,
  data: { n },
  metadata: systemMetadata("system", new Date("2025-03-15T12:00:00Z")),
  ...(dedupeKey ? { dedupeKey } : {}),
});
const nOf = (e: { data: unknown } | null | undefined) => (e?.data as { n: number } | undefined)?.n;

describe("readLastInStream", () => {
  test("the newest event of a stream, or the newest of the given types; null for none", async () => {
    const id = stream();
    await store.appendToStream(id, [event("A", 1), event("B", 2), event("A", 3), event("C", 4)], { expectedVersion: 0 });
    expect(nOf(await store.readLastInStream(id))).toBe(4);
    expect(nOf(await store.readLastInStream(id, ["A"]))).toBe(3);
    expect(nOf(await store.readLastInStream(id, ["B", "A"]))).toBe(3);
    const last = await store.readLastInStream(id, ["B"]);
    expect(last).toMatchObject({ streamId: id, streamVersion: 2, type: "B", data: { n: 2 } });
    expect(await store.readLastInStream(id, ["Z"])).toBeNull();
    expect(await store.readLastInStream(stream())).toBeNull();
  });

  test("a stream id with a NUL is looked up as the log stores it", async () => {
    const id = `test:nul\u0000${crypto.randomUUID()}`;
    await store.appendToStream(id, [event("A", 7, `key\u0000${crypto.randomUUID()}`)], { expectedVersion: 0 });
    expect(nOf(await store.readLastInStream(id, ["A"]))).toBe(7);
  });
});

describe("readLastInStreams", () => {
  test("the newest event of each stream (of the given types), keyed by the ids as given; streams without one are absent", async () => {
    const [a, b, c, empty] = [stream("chat"), stream("chat"), `chat:nul\u0000${crypto.randomUUID()}`, stream("chat")] as [string, string, string, string];
    await store.appendToStream(a, [event("Seen", 1), event("Seen", 2), event("Other", 3)], { expectedVersion: 0 });
    await store.appendToStream(b, [event("Other", 4)], { expectedVersion: 0 });
    await store.appendToStream(c, [event("Seen", 5)], { expectedVersion: 0 });
    const seen = await store.readLastInStreams([a, b, c, empty], ["Seen"]);
    expect([...seen.keys()].sort()).toEqual([a, c].sort());
    expect(nOf(seen.get(a))).toBe(2);
    expect(nOf(seen.get(c))).toBe(5);
    const any = await store.readLastInStreams([a, b, empty]);
    expect([nOf(any.get(a)), nOf(any.get(b)), any.has(empty)]).toEqual([3, 4, false]);
    expect((await store.readLastInStreams([])).size).toBe(0);
  });
});

describe("hasDedupeKey", () => {
  test("whether the log holds an event with the key (a key with a NUL included)", async () => {
    const key = `key:${crypto.randomUUID()}`;
    const nul = `key:\u0000${crypto.randomUUID()}`;
    expect(await store.hasDedupeKey(key)).toBe(false);
    await store.appendFacts([{ ...event("Fact", 1, key), streamId: stream() }, { ...event("Fact", 2, nul), streamId: stream() }]);
    expect(await store.hasDedupeKey(key)).toBe(true);
    expect(await store.hasDedupeKey(nul)).toBe(true);
    expect(await store.hasDedupeKey(`${key}:other`)).toBe(false);
  });
});

describe("positionBefore", () => {
  test("the last event recorded before a time, in reading order; the log's start before everything", async () => {
    expect(await store.positionBefore(new Date("2000-01-01T00:00:00Z"))).toEqual(LOG_START);
    const appended = await store.appendToStream(stream(), [event("A", 1)], { expectedVersion: 0 });
    if (!appended.ok) throw new Error("not appended");
    const [recorded] = await store.readStream(appended.value.streamId);
    const after = new Date((recorded?.recordedAt as Date).getTime() + 1);
    expect(await store.positionBefore(after)).toEqual({ transactionId: appended.value.transactionId, globalPosition: appended.value.globalPositions[0] as number });
    const before = await store.positionBefore(recorded?.recordedAt as Date);
    expect(before.globalPosition).toBeLessThan(appended.value.globalPositions[0] as number);
  });
});
