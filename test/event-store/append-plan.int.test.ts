/**
 * The append's plan must not depend on statistics: on a young log that
 * autovacuum has not analyzed yet, each fact's dedupe key is still looked up
 * by a probe of the unique index, never by a scan of every event.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { APPEND_FACTS_SQL, appendFacts } from "../../src/event-store/append-facts";
import type { NewStreamEvent } from "../../src/event-store";
import { encodeEvents, EVENTS_CHANNEL } from "../../src/event-store/rows";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  // A young log: never analyzed (autovacuum kept off this table), a few hundred webhook-sized events.
  await db.sql`alter table events set (autovacuum_enabled = false)`;
  await db.sql`
    insert into events (stream_id, stream_version, type, data, metadata, dedupe_key)
    select 'young-' || (g % 50), g, 'message_received', jsonb_build_object('text', repeat(md5(g::text), 40)), '{}', 'young-key-' || g
    from generate_series(1, 500) g
  `;
  await db.sql`insert into streams (stream_id, version) select stream_id, max(stream_version) from events group by stream_id`;
});
afterAll(() => db.drop());

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

const fact = (i: number, key: string): NewStreamEvent => ({
  streamId: `young-${i % 50}`,
  type: "message_received",
  data: { text: "hello" },
  metadata: { source: "webhook" },
  dedupeKey: key,
});

describe("the append's plan on a log without statistics", () => {
  test("reads events only through index probes, for new and known keys alike", async () => {
    const [stats] = await db.sql<{ analyzed: boolean; tuples: number }[]>`
      select (last_analyze is not null or last_autoanalyze is not null) as analyzed, c.reltuples::float8 as tuples
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'events'
    `;
    expect(stats).toEqual({ analyzed: false, tuples: -1 });

    const facts = Array.from({ length: 20 }, (_, i) => fact(i, i % 2 === 0 ? `young-key-${i + 1}` : `young-new-${i}`));
    const [row] = await db.sql.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(`explain (format json) ${APPEND_FACTS_SQL}`, [encodeEvents(facts), EVENTS_CHANNEL]);
    const plan = row?.["QUERY PLAN"][0].Plan as PlanNode;
    const onEvents = nodes(plan).filter((n) => n["Relation Name"] === "events");
    const reads = onEvents.filter((n) => n["Node Type"] !== "ModifyTable");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((n) => n["Node Type"]).filter((t) => t !== "Index Scan" && t !== "Index Only Scan")).toEqual([]);

    // And the statement does what it says: known keys are duplicates at their old positions, new ones stored.
    const results = await appendFacts(db.sql, facts);
    const known = await db.sql<{ dedupe_key: string; global_position: number }[]>`
      select dedupe_key, global_position from events where dedupe_key = any(${facts.map((f) => f.dedupeKey as string)})
    `;
    const position = new Map(known.map((k) => [k.dedupe_key, k.global_position]));
    facts.forEach((f, i) => {
      expect(results[i]).toMatchObject({ duplicate: i % 2 === 0, globalPosition: position.get(f.dedupeKey as string) });
    });
  });
});
