import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventStore, type EventStore, type NewStreamEvent } from "../../src/event-store";
import { messagingProjection } from "../../src/conversations/projection/apply";
import { createProjectionRunner, projectionStatus, rebuildProjection, verifyProjection } from "../../src/projections";
import { counterProjection, createCounterTable, type CounterRow } from "../support/counter-projection";
import { logVisible } from "../support/log-visible";
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

const fact = (streamId: string, type = "Counted"): NewStreamEvent => ({
  streamId,
  type,
  data: { at: streamId },
  metadata: { source: "system" },
});

async function counters(table: string, prefix: string): Promise<Map<string, CounterRow>> {
  const rows = await tdb.sql<{ stream_id: string; events: number; last_type: string; last_position: number; types: string[] }[]>`
    select * from ${tdb.sql(table)} where stream_id like ${`${prefix}%`}
  `;
  return new Map(
    rows.map((r) => [
      r.stream_id,
      { streamId: r.stream_id, events: r.events, lastType: r.last_type, lastPosition: r.last_position, types: r.types },
    ]),
  );
}

describe("projection runner", () => {
  test("transactions committed out of order are applied once each, none skipped", async () => {
    // Given
    const table = "counters_ooo";
    await createCounterTable(tdb.sql, table);
    const projection = counterProjection({ name: "ooo", table });
    const runner = createProjectionRunner({ sql: tdb.sql, projections: [projection], batchSize: 7 });
    const prefix = `ooo:${crypto.randomUUID()}:`;
    const writers = tdb.connect(10);

    // When: 10 transactions take positions in one order and commit in the reverse order,
    // while the runner keeps reading
    const gates = Array.from({ length: 10 }, () => Promise.withResolvers<void>());
    const inserted = Array.from({ length: 10 }, () => Promise.withResolvers<void>());
    const txs = gates.map((gate, i) =>
      writers.begin(async (tx) => {
        if (i > 0) await inserted[i - 1]?.promise;
        await tx`insert into streams (stream_id, version) values (${`${prefix}${i}`}, 1)`;
        await tx`insert into events (stream_id, stream_version, type, data, metadata)
                 values (${`${prefix}${i}`}, 1, 'Counted', '{}', '{"source":"system"}')`;
        inserted[i]?.resolve();
        await gate.promise;
      }),
    );
    await inserted[9]?.promise;
    for (let i = 9; i >= 0; i--) {
      gates[i]?.resolve();
      await txs[i];
      await runner.runOnce();
      await store.appendFacts([fact(`${prefix}${i}`)]);
      await runner.runOnce();
    }
    await logVisible(tdb.sql);
    await runner.runOnce();

    // Then
    const rows = await counters(table, prefix);
    expect(rows.size).toBe(10);
    for (const row of rows.values()) expect(row.events).toBe(2);
    const kinds = await tdb.sql<{ kind: string }[]>`select distinct jsonb_typeof(types) as kind from ${tdb.sql(table)}`;
    expect(kinds.map((k) => k.kind)).toEqual(["array"]);
  });

  test("a batch that fails is rolled back and applied once when the runner comes back", async () => {
    const table = "counters_crash";
    await createCounterTable(tdb.sql, table);
    const prefix = `crash:${crypto.randomUUID()}:`;
    for (let i = 0; i < 25; i++) await store.appendFacts([fact(`${prefix}${i % 5}`)]);
    await logVisible(tdb.sql);

    let batches = 0;
    const crashing = counterProjection({
      name: "crash",
      table,
      onApply: () => {
        batches++;
        if (batches === 3) throw new Error("killed between reading and committing");
      },
    });
    const first = createProjectionRunner({ sql: tdb.sql, projections: [crashing], batchSize: 4 });
    await expect(first.runOnce()).rejects.toThrow("killed");

    const restarted = createProjectionRunner({ sql: tdb.sql, projections: [counterProjection({ name: "crash", table })], batchSize: 4 });
    await restarted.runOnce();

    const rows = await counters(table, prefix);
    expect([...rows.values()].map((r) => r.events)).toEqual([5, 5, 5, 5, 5]);
  });

  test("two runners on one database never both apply a batch", async () => {
    const table = "counters_pair";
    await createCounterTable(tdb.sql, table);
    const prefix = `pair:${crypto.randomUUID()}:`;
    let active = 0;
    let maxActive = 0;
    const watch = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await Bun.sleep(2);
      active--;
    };
    const a = createProjectionRunner({ sql: tdb.connect(3), projections: [counterProjection({ name: "pair", table, onApply: watch })], batchSize: 10, pollIntervalMs: 20 });
    const b = createProjectionRunner({ sql: tdb.connect(3), projections: [counterProjection({ name: "pair", table, onApply: watch })], batchSize: 10, pollIntervalMs: 20 });
    await a.start();
    await b.start();

    const appends = Array.from({ length: 400 }, (_, i) => store.appendFacts([fact(`${prefix}${i % 20}`)]));
    await Promise.all(appends);
    const deadline = Date.now() + 15000;
    let total = 0;
    while (Date.now() < deadline) {
      total = [...(await counters(table, prefix)).values()].reduce((sum, r) => sum + r.events, 0);
      if (total >= 400) break;
      await Bun.sleep(20);
    }
    await Promise.all([a.stop(), b.stop()]);

    expect(total).toBe(400);
    expect(maxActive).toBe(1);
    const status = await projectionStatus(tdb.sql, counterProjection({ name: "pair", table }));
    expect(status.lagEvents).toBe(0);
  });

  test("read-your-writes: catchUp waits for whichever replica applies the events, and holds until it has", async () => {
    const table = "counters_replicas";
    await createCounterTable(tdb.sql, table);
    const projection = counterProjection({ name: "replicas", table });
    // A replica that never applies anything itself (another holds the projection), and the one that does.
    const reader = createProjectionRunner({ sql: tdb.connect(3), projections: [projection] });
    const writer = createProjectionRunner({ sql: tdb.connect(3), projections: [projection], pollIntervalMs: 20 });
    await writer.runOnce();
    const prefix = `replicas:${crypto.randomUUID()}:`;
    await store.appendFacts([fact(`${prefix}a`), fact(`${prefix}b`)]);

    // Nothing applies the new events: the wait ends false at its timeout
    expect(await reader.catchUp(150)).toBe(false);

    // The other replica applies them: many concurrent waits end true, and the rows are there
    const waits = Array.from({ length: 50 }, () => reader.catchUp(5000));
    await writer.start();
    expect(await Promise.all(waits)).toEqual(Array.from({ length: 50 }, () => true));
    expect((await counters(table, prefix)).size).toBe(2);
    await writer.stop();
  });

  test("a NOTIFY wakes the runner long before its poll interval", async () => {
    const table = "counters_wake";
    await createCounterTable(tdb.sql, table);
    const runner = createProjectionRunner({ sql: tdb.sql, projections: [counterProjection({ name: "wake", table })], pollIntervalMs: 60000 });
    await runner.start();
    await Bun.sleep(50);
    const id = `wake:${crypto.randomUUID()}`;
    await store.appendFacts([fact(id)]);
    const deadline = Date.now() + 5000;
    while ((await counters(table, id)).size === 0 && Date.now() < deadline) await Bun.sleep(10);
    await runner.stop();
    expect((await counters(table, id)).get(id)?.events).toBe(1);
  });

  test("a wake-up for an event an older open transaction still hides is not lost: it is applied once that one ends", async () => {
    const table = "counters_hidden";
    await createCounterTable(tdb.sql, table);
    const runner = createProjectionRunner({ sql: tdb.sql, projections: [counterProjection({ name: "hidden", table })], pollIntervalMs: 60000 });
    await runner.start();

    // Given: a transaction that has taken its id stays open
    const holder = tdb.connect(1);
    const release = Promise.withResolvers<void>();
    const holding = Promise.withResolvers<void>();
    const older = holder.begin(async (tx) => {
      await tx`select pg_current_xact_id()`;
      holding.resolve();
      await release.promise;
    });
    await holding.promise;

    // When: an event is appended; its NOTIFY and further nudges wake the runner, which cannot see it yet
    const id = `hidden:${crypto.randomUUID()}`;
    await store.appendFacts([fact(id)]);
    expect(await runner.catchUp(300)).toBe(false);
    expect((await counters(table, id)).size).toBe(0);

    // Then: the older transaction ends (no event, no NOTIFY), and the runner applies the event without waiting a poll interval
    release.resolve();
    await older;
    await waitFor(async () => (await counters(table, id)).size === 1, 10_000);
    await runner.stop();
    expect((await counters(table, id)).get(id)?.events).toBe(1);
  });
});

describe("rebuild and verify", () => {
  test("the rebuild equals the live tables, and verify reports a tampered row", async () => {
    // Given: a live projection fed while writes keep coming
    const table = "counters_verify";
    await createCounterTable(tdb.sql, table);
    const projection = counterProjection({ name: "verify", table });
    const runner = createProjectionRunner({ sql: tdb.sql, projections: [projection], batchSize: 50, pollIntervalMs: 10 });
    await runner.start();
    const prefix = `verify:${crypto.randomUUID()}:`;
    for (let i = 0; i < 300; i++) await store.appendFacts([fact(`${prefix}${i % 30}`, i % 7 === 0 ? "Other" : "Counted")]);
    await store.appendFacts([fact(`${prefix}0`, "Deleted")]);

    // When / Then: verify while the runner runs
    const clean = await verifyProjection(tdb.sql, projection, { batchSize: 64 });
    expect(clean.ok).toBe(true);
    expect(clean.tables[0]?.liveRows).toBe(clean.tables[0]?.rebuiltRows ?? -1);
    await runner.stop();

    await tdb.sql`update ${tdb.sql(table)} set events = events + 1 where stream_id = ${`${prefix}1`}`;
    const drift = await verifyProjection(tdb.sql, projection);
    expect(drift.ok).toBe(false);
    expect(drift.tables[0]?.differing).toBe(2);
    expect(drift.tables[0]?.onlyLive).toEqual([expect.objectContaining({ stream_id: `${prefix}1` })]);

    // And the rebuild repairs it, keeping the index names
    await rebuildProjection(tdb.sql, projection, { batchSize: 64 });
    expect((await verifyProjection(tdb.sql, projection)).ok).toBe(true);
    const indexes = await tdb.sql<{ indexname: string }[]>`select indexname from pg_indexes where tablename = ${table} order by 1`;
    expect(indexes.map((i) => i.indexname)).toEqual([`${table}_last_type_idx`, `${table}_pkey`]);
  });

  test("a rebuild defers plain indexes to after the fill, and swaps in exactly the live indexes, constraints and storage options", async () => {
    const shape = async () => ({
      indexes: await tdb.sql`
        select tablename, indexname, regexp_replace(indexdef, ' ON [^ ]+ ', ' ON _ ') as def from pg_indexes
        where tablename = any(${[...messagingProjection.tables]}) order by indexname
      `,
      options: await tdb.sql`select relname, reloptions from pg_class where relname = any(${[...messagingProjection.tables]}) order by relname`,
      constraints: await tdb.sql`
        select conrelid::regclass::text as table, conname, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid::regclass::text = any(${[...messagingProjection.tables]}) order by conname
      `,
    });
    const before = await shape();
    expect(before.indexes.length).toBeGreaterThan(8);
    expect(before.options).toContainEqual({ relname: "messages", reloptions: ["fillfactor=85"] });
    await rebuildProjection(tdb.sql, messagingProjection);
    expect(await shape()).toEqual(before);
  });

  test("a projection whose version changed is rebuilt when the runner starts", async () => {
    const table = "counters_version";
    await createCounterTable(tdb.sql, table);
    const prefix = `version:${crypto.randomUUID()}:`;
    await store.appendFacts([fact(`${prefix}a`), fact(`${prefix}a`)]);
    await logVisible(tdb.sql);
    const v1 = createProjectionRunner({ sql: tdb.sql, projections: [counterProjection({ name: "versioned", table })] });
    await v1.runOnce();
    await tdb.sql`update ${tdb.sql(table)} set last_type = 'stale' where stream_id = ${`${prefix}a`}`;

    const v2 = createProjectionRunner({ sql: tdb.sql, projections: [counterProjection({ name: "versioned", table, version: 2 })] });
    await v2.start();
    await v2.stop();

    expect((await counters(table, prefix)).get(`${prefix}a`)?.lastType).toBe("Counted");
    const [status] = await v2.status();
    expect(status?.version).toBe(2);
  });
});
