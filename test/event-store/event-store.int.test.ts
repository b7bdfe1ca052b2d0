import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventStore, EVENTS_CHANNEL, type EventStore, LOG_START, type NewEvent } from "../../src/event-store";
import { waitFor } from "../sandbox/support";
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

const stream = () => `test:${crypto.randomUUID()}`;
const event = (type = "Something", data: unknown = { n: 1 }, dedupeKey?: string): NewEvent => ({
  type,
  data,
  metadata: { source: "command", actor: "alice", requestId: "req-1" },
  dedupeKey,
});

describe("appendToStream", () => {
  test("creates a stream at expected version 0 and appends at its exact version", async () => {
    const id = stream();
    const first = await store.appendToStream(id, [event(), event()], { expectedVersion: 0 });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.nextVersion).toBe(2);
    expect(first.value.globalPositions).toHaveLength(2);

    const second = await store.appendToStream(id, [event("Third")], { expectedVersion: 2 });
    expect(second.ok && second.value.nextVersion).toBe(3);

    const events = await store.readStream(id);
    expect(events.map((e) => [e.streamVersion, e.type])).toEqual([
      [1, "Something"],
      [2, "Something"],
      [3, "Third"],
    ]);
  });

  test("a wrong expected version is a typed conflict and writes nothing", async () => {
    const id = stream();
    await store.appendToStream(id, [event()], { expectedVersion: 0 });

    const stale = await store.appendToStream(id, [event("Late")], { expectedVersion: 0 });
    const ahead = await store.appendToStream(id, [event("Late")], { expectedVersion: 5 });

    expect(stale).toEqual({ ok: false, error: { code: "STREAM_VERSION_CONFLICT", streamId: id, expected: 0, actual: 1 } });
    expect(ahead.ok).toBe(false);
    expect((await store.readStream(id)).map((e) => e.type)).toEqual(["Something"]);
  });

  test("stream_exists fails on a missing stream; any appends anywhere", async () => {
    const id = stream();
    const missing = await store.appendToStream(id, [event()], { expectedVersion: "stream_exists" });
    expect(missing.ok).toBe(false);
    const anyFirst = await store.appendToStream(id, [event()], { expectedVersion: "any" });
    const exists = await store.appendToStream(id, [event()], { expectedVersion: "stream_exists" });
    expect(anyFirst.ok && anyFirst.value.nextVersion).toBe(1);
    expect(exists.ok && exists.value.nextVersion).toBe(2);
  });

  test("of concurrent writers expecting the same version, exactly one wins", async () => {
    const id = stream();
    await store.appendToStream(id, [event()], { expectedVersion: 0 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.appendToStream(id, [event(`W${i}`)], { expectedVersion: 1 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await store.readStreamVersion(id)).toBe(2);
  });

  test("a dedupe key already in the log is reported with the original position and nothing moves", async () => {
    const id = stream();
    const key = `cmd:${crypto.randomUUID()}`;
    const first = await store.appendToStream(id, [event("Once", {}, key)], { expectedVersion: 0 });
    const again = await store.appendToStream(id, [event("Once", {}, key)], { expectedVersion: 1 });

    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(again).toEqual({
      ok: false,
      error: { code: "DUPLICATE_EVENT", dedupeKey: key, globalPosition: first.value.globalPositions[0] ?? -1 },
    });
    expect(await store.readStreamVersion(id)).toBe(1);
  });
});

describe("appendFacts", () => {
  test("a duplicate dedupe key is a no-op that returns the original position", async () => {
    const id = stream();
    const key = `wh:${crypto.randomUUID()}`;
    const [first] = await store.appendFacts([{ ...event("Fact", { a: 1 }, key), streamId: id }]);
    const [again] = await store.appendFacts([{ ...event("Fact", { a: 2 }, key), streamId: id }]);

    expect(first).toEqual({ globalPosition: expect.any(Number), streamVersion: 1, transactionId: expect.any(String), duplicate: false });
    expect(again).toEqual({ globalPosition: first?.globalPosition ?? -1, streamVersion: 1, transactionId: first?.transactionId ?? "", duplicate: true });
    const stored = await store.readStream(id);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.data).toEqual({ a: 1 });
  });

  test("50 concurrent copies of one fact store it once and all answer its position", async () => {
    const id = stream();
    const key = `wh:${crypto.randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => store.appendFacts([{ ...event("Fact", { copy: true }, key), streamId: id }])),
    );
    const positions = new Set(results.map((r) => r[0]?.globalPosition));
    expect(positions.size).toBe(1);
    expect(results.filter((r) => r[0]?.duplicate === false)).toHaveLength(1);
    expect(await store.readStream(id)).toHaveLength(1);
    expect(await store.readStreamVersion(id)).toBeGreaterThanOrEqual(1);
  });

  test("many facts on many streams in one call, duplicates inside the batch collapse", async () => {
    const a = stream();
    const b = stream();
    const key = `wh:${crypto.randomUUID()}`;
    const results = await store.appendFacts([
      { ...event("A1"), streamId: a },
      { ...event("B1", {}, key), streamId: b },
      { ...event("A2"), streamId: a },
      { ...event("B1-again", {}, key), streamId: b },
    ]);
    expect(results.map((r) => [r.streamVersion, r.duplicate])).toEqual([
      [1, false],
      [1, false],
      [2, false],
      [1, true],
    ]);
    expect(results[3]?.globalPosition).toBe(results[1]?.globalPosition ?? -1);
    const positions = results.slice(0, 3).map((r) => r.globalPosition);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  });

  test("concurrent facts on one stream get distinct, gap-free versions", async () => {
    const id = stream();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.appendFacts([{ ...event(`F${i}`, {}, `k:${id}:${i}`), streamId: id }])),
    );
    const versions = (await store.readStream(id)).map((e) => e.streamVersion);
    expect(versions).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});

describe("storage", () => {
  test("data and metadata are stored as JSON objects, not strings", async () => {
    const id = stream();
    await store.appendFacts([{ ...event("Json", { nested: { list: [1, 2] } }), streamId: id }]);
    const rows = await tdb.sql<{ data_type: string; meta_type: string }[]>`
      select jsonb_typeof(data) as data_type, jsonb_typeof(metadata) as meta_type from events where stream_id = ${id}
    `;
    expect([...rows]).toEqual([{ data_type: "object", meta_type: "object" }]);
    const [stored] = await store.readStream(id);
    expect(stored?.metadata).toEqual({ source: "command", actor: "alice", requestId: "req-1" });
  });

  test("an append NOTIFYs readers", async () => {
    const listener = tdb.connect(1);
    let woken = 0;
    await listener.listen(EVENTS_CHANNEL, () => {
      woken++;
    });
    await store.appendFacts([{ ...event(), streamId: stream() }]);
    const deadline = Date.now() + 5000;
    while (woken === 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(woken).toBeGreaterThan(0);
  });
});

describe("readAll", () => {
  test("never skips a transaction that commits after a later one", async () => {
    // Given: the reader is caught up
    let position = (await store.readAll({ limit: 100000 })).position;
    const slow = stream();
    const fast = stream();
    const writer = tdb.connect(2);

    // When: a transaction takes a lower position but commits last
    let releaseSlow!: () => void;
    const slowHeld = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowInserted!: () => void;
    const slowReady = new Promise<void>((resolve) => (slowInserted = resolve));
    const slowTx = writer.begin(async (tx) => {
      await tx`insert into events (stream_id, stream_version, type, data, metadata) values (${slow}, 1, 'Slow', '{}', '{"source":"system"}')`;
      slowInserted();
      await slowHeld;
    });
    await slowReady;
    await store.appendFacts([{ ...event("Fast"), streamId: fast }]);

    // Then: the reader sees neither until the slow one commits, then both in commit-safe order
    const during = await store.readAll({ after: position, limit: 100 });
    expect(during.events.filter((e) => e.streamId === slow || e.streamId === fast)).toEqual([]);
    position = during.position;

    releaseSlow();
    await slowTx;
    // Any older transaction still open on the server (another database's included) holds both back a little longer.
    const after = await waitFor(async () => {
      const page = await store.readAll({ after: position, limit: 100 });
      return page.events.some((e) => e.streamId === slow || e.streamId === fast) && page;
    }, 10_000);
    expect(after.events.map((e) => e.type).filter((t) => t === "Slow" || t === "Fast")).toEqual(["Slow", "Fast"]);
  });

  test("pages in (transaction_id, global_position) order and filters by type", async () => {
    const id = stream();
    const start = (await store.readAll({ limit: 100000 })).position;
    for (let i = 0; i < 5; i++) await store.appendFacts([{ ...event(i % 2 ? "Odd" : "Even", { i }), streamId: id }]);

    // Pages resume from the position each one returns; caught up early when an older transaction
    // still open on the server (another database's included) hides the newest events for a moment.
    const seen: number[] = [];
    let position = start;
    await waitFor(async () => {
      const page = await store.readAll({ after: position, limit: 2 });
      seen.push(...page.events.map((e) => (e.data as { i: number }).i));
      position = page.position;
      return page.caughtUp && seen.length >= 5;
    }, 10_000);
    expect(seen).toEqual([0, 1, 2, 3, 4]);

    const odd = await store.readAll({ after: start, types: ["Odd"], limit: 10 });
    expect(odd.events.map((e) => (e.data as { i: number }).i)).toEqual([1, 3]);
    expect(odd.position.globalPosition).toBeGreaterThan(odd.events[1]?.globalPosition ?? 0);
    expect(LOG_START.globalPosition).toBe(0);
  });
});
