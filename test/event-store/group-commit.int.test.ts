/**
 * Group commit: concurrent fact appends share statements (fewer
 * transactions than callers), each caller gets its own result after the
 * commit, duplicates stay duplicates, and a bad fact fails alone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createGroupCommit } from "../../src/event-store/group-commit";
import type { NewStreamEvent } from "../../src/event-store";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const fact = (streamId: string, key: string): NewStreamEvent => ({
  streamId,
  type: "Grouped",
  data: { key },
  metadata: { source: "webhook" },
  dedupeKey: key,
});

describe("group commit", () => {
  test("200 concurrent appends over 10 streams: all stored once, each answered with its own position, in far fewer commits", async () => {
    const group = createGroupCommit(db.sql);
    const run = crypto.randomUUID();
    const facts = Array.from({ length: 200 }, (_, i) => fact(`grouped-${run}-${i % 10}`, `${run}-${i}`));
    const results = (await Promise.all(facts.map((f) => group.append([f])))).map((r) => r[0]);

    const rows = await db.sql<{ dedupe_key: string; global_position: number; transaction_id: string }[]>`
      select dedupe_key, global_position, transaction_id::text as transaction_id from events where dedupe_key like ${`${run}-%`}
    `;
    const byKey = new Map(rows.map((r) => [r.dedupe_key, r]));
    expect(rows).toHaveLength(200);
    facts.forEach((f, i) => {
      expect(results[i]).toMatchObject({ duplicate: false, globalPosition: byKey.get(f.dedupeKey as string)?.global_position });
    });
    expect(new Set(rows.map((r) => r.transaction_id)).size).toBeLessThan(200);
    const versions = await db.sql<{ stream_id: string; n: number; max: number }[]>`
      select stream_id, count(*)::int as n, max(stream_version)::int as max from events where dedupe_key like ${`${run}-%`} group by stream_id
    `;
    expect(versions.every((v) => v.n === 20 && v.max === 20)).toBe(true);
  });

  test("50 concurrent copies of one fact are one event; the copies are answered as duplicates of it", async () => {
    const group = createGroupCommit(db.sql);
    const key = `copy-${crypto.randomUUID()}`;
    const results = (await Promise.all(Array.from({ length: 50 }, () => group.append([fact("grouped-copies", key)])))).map((r) => r[0]);
    expect(results.filter((r) => r?.duplicate === false)).toHaveLength(1);
    expect(new Set(results.map((r) => r?.globalPosition)).size).toBe(1);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from events where dedupe_key = ${key}`;
    expect(count?.n).toBe(1);
  });

  test("a fact the log refuses fails alone: its neighbours are stored, it is recorded as an UnprocessableFact", async () => {
    const group = createGroupCommit(db.sql, { maxInFlight: 1 });
    const run = crypto.randomUUID();
    const bad = { ...fact("grouped-bad", `${run}-bad`), type: null as unknown as string };
    const outcomes = await Promise.all([
      group.append([fact("grouped-bad", `${run}-0`)]),
      group.append([fact("grouped-bad", `${run}-1`)]),
      group.append([bad]),
      group.append([fact("grouped-bad", `${run}-2`)]),
    ]);
    expect(outcomes.map(([r]) => r?.unprocessable === true)).toEqual([false, false, true, false]);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from events where dedupe_key like ${`${run}-%`}`;
    expect(count?.n).toBe(3);
    const [record] = await db.sql<{ global_position: number; data: { sqlState: string; dedupeKey: string }; raw: Uint8Array }[]>`
      select global_position, data, raw from events where type = 'UnprocessableFact' and dedupe_key = ${`unprocessable:${run}-bad`}
    `;
    expect(record?.global_position).toBe(outcomes[2]?.[0]?.globalPosition as number);
    expect(record?.data).toMatchObject({ sqlState: "23502", dedupeKey: `${run}-bad` });
    expect(JSON.parse(Buffer.from(record?.raw ?? []).toString("utf8"))).toMatchObject({ type: null, data: { key: `${run}-bad` } });
  });

  test("a fact that cannot even be encoded fails its caller alone", async () => {
    const group = createGroupCommit(db.sql, { maxInFlight: 1 });
    const run = crypto.randomUUID();
    const unencodable = { ...fact("grouped-encode", `${run}-bad`), data: { n: 1n } };
    const outcomes = await Promise.allSettled([
      group.append([fact("grouped-encode", `${run}-0`)]),
      group.append([fact("grouped-encode", `${run}-1`)]),
      group.append([unencodable]),
      group.append([fact("grouped-encode", `${run}-2`)]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  });

  test("a failure that is not about the data (here a serialization failure) fails the whole statement's callers, with no fact-by-fact retry", async () => {
    await db.sql.unsafe(`
      create or replace function refuse_not_data() returns trigger language plpgsql as $$
      begin
        if new.data->>'key' like '%-conflict' then raise exception 'not about the data' using errcode = '40001'; end if;
        return new;
      end $$;
      create trigger refuse_not_data before insert on events for each row execute function refuse_not_data();
    `);
    try {
      const group = createGroupCommit(db.sql, { maxInFlight: 1 });
      const run = crypto.randomUUID();
      // The first fact takes the only slot; the next three wait and share one statement.
      const outcomes = await Promise.allSettled([
        group.append([fact("grouped-conflict", `${run}-first`)]),
        group.append([fact("grouped-conflict", `${run}-0`)]),
        group.append([fact("grouped-conflict", `${run}-conflict`)]),
        group.append([fact("grouped-conflict", `${run}-1`)]),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "rejected"]);
      const rows = await db.sql<{ dedupe_key: string }[]>`select dedupe_key from events where dedupe_key like ${`${run}-%`} or dedupe_key like ${`unprocessable:${run}-%`}`;
      expect(rows.map((r) => r.dedupe_key)).toEqual([`${run}-first`]);
    } finally {
      await db.sql.unsafe("drop trigger refuse_not_data on events; drop function refuse_not_data();");
    }
  });
});
