/**
 * @module event-store/append-facts
 * Idempotent append of external facts (webhooks, poll results) to any number
 * of streams in one statement (EVENT-SOURCING.md rule 2).
 */
import type { Sql } from "../db/client";
import type { FactAppendResult, NewStreamEvent } from "./event";
import { encodeEvents, EVENTS_CHANNEL } from "./rows";
import { storableId } from "./storable";

interface Row {
  ord: number;
  global_position: number | null;
  stream_version: number | null;
  transaction_id: string | null;
  duplicate_position: number | null;
  duplicate_version: number | null;
  duplicate_transaction: string | null;
}

/**
 * The statement: $1 the facts as one JSON array (`encodeEvents`), $2 the
 * notification channel. Exported so that a test can EXPLAIN it.
 *
 * Each fact's key is looked up in the log once, by a probe of the unique
 * index: a LATERAL subquery with a LIMIT cannot be flattened into a join, so
 * the plan does not depend on statistics. (A plain join was planned, on a
 * young log that autovacuum had not yet analyzed, as a hash join over a
 * sequential scan of every event: `jsonb_array_elements` is estimated at 100
 * rows whatever the batch holds.)
 */
export const APPEND_FACTS_SQL = `
    with input as (
      select x.ord, x.e->>'streamId' as stream_id, x.e->>'dedupeKey' as dedupe_key, x.e,
             row_number() over (partition by x.e->>'dedupeKey' order by x.ord) as nth
      from jsonb_array_elements($1::jsonb) with ordinality as x(e, ord)
    ),
    known as (
      select i.*, old.global_position as old_position, old.stream_version as old_version, old.transaction_id::text as old_transaction
      from input i
      left join lateral (
        select e.global_position, e.stream_version, e.transaction_id from events e where e.dedupe_key = i.dedupe_key limit 1
      ) old on true
    ),
    fresh as (
      select k.ord, k.stream_id, k.dedupe_key, k.e from known k
      where k.old_position is null and (k.dedupe_key is null or k.nth = 1)
    ),
    counts as (select stream_id, count(*)::bigint as n from fresh group by stream_id),
    bumped as (
      insert into streams as s (stream_id, version)
      -- One lock order for every statement: concurrent batches over the same streams cannot deadlock.
      select stream_id, n from counts order by stream_id
      on conflict (stream_id) do update set version = s.version + excluded.version, updated_at = now()
      returning s.stream_id, s.version
    ),
    planned as (
      select f.ord, f.stream_id, f.dedupe_key, f.e,
             b.version - c.n + row_number() over (partition by f.stream_id order by f.ord) as stream_version
      from fresh f join counts c using (stream_id) join bumped b using (stream_id)
    ),
    inserted as (
      insert into events (stream_id, stream_version, type, schema_version, data, metadata, dedupe_key, raw)
      select p.stream_id, p.stream_version, p.e->>'type', (p.e->>'schemaVersion')::int,
             p.e->'data', p.e->'metadata', p.dedupe_key, decode(p.e->>'raw', 'base64')
      from planned p order by p.ord
      on conflict (dedupe_key) do nothing
      returning global_position, stream_id, stream_version, dedupe_key, transaction_id::text as transaction_id
    )
    select k.ord::int as ord,
           ins.global_position, ins.stream_version, ins.transaction_id,
           coalesce(k.old_position, twin.global_position) as duplicate_position,
           coalesce(k.old_version, twin.stream_version) as duplicate_version,
           coalesce(k.old_transaction, twin.transaction_id) as duplicate_transaction,
           (select pg_notify($2, '') from inserted limit 1) is null as notified
    from known k
    left join planned p on p.ord = k.ord
    left join inserted ins on ins.stream_id = p.stream_id and ins.stream_version = p.stream_version
    left join inserted twin on p.ord is null and twin.dedupe_key = k.dedupe_key
    order by k.ord
`;

/**
 * Appends facts that already happened: no expected-version check, and a fact
 * whose dedupe key is already in the log (or earlier in the same batch) is not
 * stored again; its result carries the original position and `duplicate: true`.
 *
 * Stream versions are taken by bumping the `streams` row inside the statement,
 * so concurrent appends to one stream queue on that row instead of failing.
 * When a concurrent copy of a fact commits while this statement runs, the
 * unique index turns our insert into a no-op, and the statement's snapshot
 * cannot see the winner; a second, short read finds it. (Such a race may leave
 * a gap in the stream's versions; versions only ever increase.)
 */
export async function appendFacts(sql: Sql, facts: readonly NewStreamEvent[]): Promise<FactAppendResult[]> {
  if (facts.length === 0) return [];
  const rows = await sql.unsafe<Row[]>(APPEND_FACTS_SQL, [encodeEvents(facts), EVENTS_CHANNEL], { prepare: true });

  const results: FactAppendResult[] = [];
  const raced: { index: number; key: string }[] = [];
  for (const row of rows) {
    const index = row.ord - 1;
    if (row.global_position !== null && row.stream_version !== null && row.transaction_id !== null) {
      results[index] = { globalPosition: row.global_position, streamVersion: row.stream_version, transactionId: row.transaction_id, duplicate: false };
    } else if (row.duplicate_position !== null && row.duplicate_version !== null && row.duplicate_transaction !== null) {
      results[index] = { globalPosition: row.duplicate_position, streamVersion: row.duplicate_version, transactionId: row.duplicate_transaction, duplicate: true };
    } else {
      const key = facts[index]?.dedupeKey;
      if (!key) throw new Error("appendFacts: an event without dedupe key was not stored");
      raced.push({ index, key: storableId(key) });
    }
  }
  if (raced.length > 0) {
    const winners = await sql<{ dedupe_key: string; global_position: number; stream_version: number; transaction_id: string }[]>`
      select dedupe_key, global_position, stream_version, transaction_id::text as transaction_id from events where dedupe_key = any(${raced.map((r) => r.key)})
    `;
    const byKey = new Map(winners.map((w) => [w.dedupe_key, w]));
    for (const { index, key } of raced) {
      const winner = byKey.get(key);
      if (!winner) throw new Error(`appendFacts: fact ${key} neither stored nor found`);
      results[index] = { globalPosition: winner.global_position, streamVersion: winner.stream_version, transactionId: winner.transaction_id, duplicate: true };
    }
  }
  return results;
}
