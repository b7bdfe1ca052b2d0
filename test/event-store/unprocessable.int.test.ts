/**
 * Every fact that is valid JSON is recorded: text Postgres cannot store is
 * replaced (and the bytes that came kept beside the event), and a fact the
 * log still refuses is recorded as an UnprocessableFact without taking its
 * neighbours with it. Real Postgres; the refusal is a real trigger.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFacts, appendToStream, createEventStore, type NewStreamEvent, readStream } from "../../src/event-store";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { refusePoison } from "../support/refuse-poison";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // The log refuses any event whose data holds POISON, as a trigger or a constraint might in production.
  await refusePoison(db.sql);
});
afterAll(() => db.drop());

const HIGH = "\uD83D";
const LOW = "\uDE00";
const FFFD = "\uFFFD";
const fact = (streamId: string, key: string, data: Record<string, unknown> = {}): NewStreamEvent => ({
  streamId,
  type: "Observed",
  data: { key, ...data },
  metadata: { source: "poll" },
  dedupeKey: key,
});

async function stored(key: string) {
  const [row] = await db.sql<{ stream_id: string; data: Record<string, unknown>; metadata: Record<string, unknown>; dedupe_key: string; raw: Uint8Array | null }[]>`
    select stream_id, data, metadata, dedupe_key, raw from events where dedupe_key = ${key}
  `;
  return row;
}

describe("text Postgres cannot store", () => {
  test("NUL and lone surrogates in data, keys, stream id and dedupe key: stored with replacements, noted, raw kept; a redelivery is a duplicate", async () => {
    const run = crypto.randomUUID();
    const bad = fact(`chat:${run}\u0000`, `${run}:m\u0000`, { text: `a\u0000b${HIGH}`, [`k${LOW}`]: [1, true, null, { deep: `x${LOW}` }] });
    const [first] = await appendFacts(db.sql, [fact(`chat:${run}`, `${run}:ok`), bad]).then((r) => r.slice(1));
    const row = await stored(`${run}:m\\u0000`);
    expect(row).toMatchObject({ stream_id: `chat:${run}\\u0000`, data: { text: `a${FFFD}b${FFFD}`, [`k${FFFD}`]: [1, true, null, { deep: `x${FFFD}` }] } });
    expect(row?.metadata.sanitized).toMatchObject({ replaced: 7, raw: "event" });
    expect(JSON.parse(Buffer.from(row?.raw ?? []).toString("utf8")).data).toEqual(bad.data);
    expect((await stored(`${run}:ok`))?.raw).toBeNull();

    const [again] = await appendFacts(db.sql, [bad]);
    expect(again).toMatchObject({ duplicate: true, globalPosition: first?.globalPosition });
    // Reading the stream by the id as given finds it.
    expect((await readStream(db.sql, `chat:${run}\u0000`)).map((e) => e.dedupeKey)).toEqual([`${run}:m\\u0000`]);
  });

  test("two ids that differ only in their unstorable characters stay two facts", async () => {
    const run = crypto.randomUUID();
    const results = await appendFacts(db.sql, [fact("s", `${run}\u0000`), fact("s", `${run}${HIGH}`), fact("s", `${run}${LOW}`)]);
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
  });

  test("a command with a NUL in its data and stream id is stored the same way", async () => {
    const run = crypto.randomUUID();
    const result = await appendToStream(db.sql, `send:${run}\u0000`, [{ type: "Requested", data: { text: "\u0000" }, metadata: { source: "command" } }], { expectedVersion: 0 });
    expect(result.ok).toBe(true);
    const [event] = await readStream(db.sql, `send:${run}\u0000`, { withRaw: true });
    expect(event).toMatchObject({ streamId: `send:${run}\\u0000`, data: { text: FFFD }, metadata: { sanitized: { replaced: 2 } } });
    expect(event?.raw).toBeInstanceOf(Uint8Array);
  });
});

describe("a fact the log refuses", () => {
  test("in a page of facts: every other fact is stored, in order, and the refused one is an UnprocessableFact keyed by it", async () => {
    const store = createEventStore(db.sql);
    const run = crypto.randomUUID();
    const page = [fact(`c:${run}`, `${run}:1`), fact(`c:${run}`, `${run}:2`, { text: "POISON" }), fact(`c:${run}`, `${run}:3`), fact(`cp:${run}`, `${run}:checkpoint`)];
    const results = await store.appendFacts(page);
    expect(results.map((r) => [r.duplicate, r.unprocessable === true])).toEqual([[false, false], [false, true], [false, false], [false, false]]);
    // The checkpoint, last in the page, was stored after every fact before it.
    const positions = results.map((r) => r.globalPosition);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    const record = await stored(`unprocessable:${run}:2`);
    expect(record).toMatchObject({
      stream_id: "unprocessable-facts",
      data: { streamId: `c:${run}`, type: "Observed", dedupeKey: `${run}:2`, reason: "refused by the test trigger", sqlState: "P0001", raw: "event" },
      metadata: { source: "poll" },
    });
    expect(JSON.parse(Buffer.from(record?.raw ?? []).toString("utf8"))).toMatchObject({ streamId: `c:${run}`, data: { text: "POISON" } });

    // Seen again (the next poll): refused again, and the same record answers.
    const [again] = await store.appendFacts([page[1] as NewStreamEvent]);
    expect(again).toMatchObject({ unprocessable: true, duplicate: true, globalPosition: results[1]?.globalPosition });
  });

  test("an id too large for the indexes is refused by Postgres itself and recorded the same way", async () => {
    const store = createEventStore(db.sql);
    const run = crypto.randomUUID();
    const huge = Array.from({ length: 3000 }, () => Math.random().toString(36).slice(2)).join("");
    const results = await store.appendFacts([fact(`c:${run}`, `${run}:before`), fact(`c:${huge}`, `${run}:${huge}`), fact(`c:${run}`, `${run}:after`)]);
    expect(results.map((r) => r.unprocessable === true)).toEqual([false, true, false]);
    const [record] = await db.sql<{ data: { sqlState: string }; dedupe_key: string }[]>`
      select data, dedupe_key from events where global_position = ${results[1]?.globalPosition as number}
    `;
    expect(record?.data.sqlState).toBe("54000");
    expect(record?.dedupe_key).toMatch(/^unprocessable:sha256:/);
  });
});
