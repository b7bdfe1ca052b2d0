/**
 * @module projections/rebuild
 * Rebuilds projections from the log into fresh tables and swaps them in
 * (`replay`), or rebuilds into scratch tables and compares them with the live
 * ones row for row (`replay --verify`). Live tables are never truncated: the
 * API keeps serving them until the swap, which is one short transaction.
 */
import type { Sql, TransactionSql } from "../db/client";
import { compareLogPositions, LOG_START, type LogPosition, type RecordedEvent } from "../event-store/event";
import { readAll } from "../event-store/read-all";
import { catchUpInTransaction, relaxCommit } from "./apply-batch";
import { lockProjection, readCheckpoint, saveCheckpoint } from "./checkpoints";
import { liveTables, type Projection, suffixedTables, type TableNames } from "./projection";

export interface ReplayProgress {
  projection: string;
  events: number;
  position: number;
  /** The newest position in the log when the replay started. */
  headPosition: number;
}

export interface ReplayOptions {
  /** @default 2000 */
  batchSize?: number;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface TableDiff {
  table: string;
  liveRows: number;
  rebuiltRows: number;
  /** Rows (as JSON) in the live table with no equal row in the rebuild, at most 20. */
  onlyLive: unknown[];
  onlyRebuilt: unknown[];
  differing: number;
}

export interface VerifyReport {
  projection: string;
  events: number;
  tables: TableDiff[];
  ok: boolean;
}

/** Rebuilds one projection into fresh tables and swaps them in. */
export async function rebuildProjection(sql: Sql, projection: Projection, options: ReplayOptions = {}) {
  const batchSize = options.batchSize ?? 2000;
  const scratch = suffixedTables(projection, "__rebuild");
  const deferred = await createScratchTables(sql, projection, scratch);
  try {
    let { position, events } = await replayInto(sql, projection, scratch, options);
    await buildIndexes(sql, deferred);
    await sql.begin(async (tx) => {
      await lockProjection(tx, projection.name);
      const rest = await catchUpInTransaction(tx, projection, scratch, position, batchSize);
      position = rest.position;
      events += rest.applied;
      for (const [live, physical] of Object.entries(scratch)) await swapTable(tx, live, physical);
      await saveCheckpoint(tx, projection.name, position, projection.version);
    });
    // The swapped-in tables have no statistics yet: without them the planner may sort a user's whole
    // conversation list instead of walking its index, until autovacuum gets to them.
    for (const live of Object.keys(scratch)) await sql`analyze ${sql(live)}`;
    return { projection: projection.name, events };
  } finally {
    await dropTables(sql, scratch);
  }
}

/** Rebuilds into scratch tables and compares them with the live tables at the same log position. */
export async function verifyProjection(sql: Sql, projection: Projection, options: ReplayOptions = {}): Promise<VerifyReport> {
  const batchSize = options.batchSize ?? 2000;
  const scratch = suffixedTables(projection, "__verify");
  const deferred = await createScratchTables(sql, projection, scratch);
  try {
    let { position, events } = await replayInto(sql, projection, scratch, options);
    await buildIndexes(sql, deferred);
    const tables = await sql.begin(async (tx) => {
      // Holding the lock pauses the live runner, so both sides stop at one position.
      await lockProjection(tx, projection.name);
      const live = (await readCheckpoint(tx, projection.name)) ?? LOG_START;
      const order = compareLogPositions(position, live);
      if (order < 0) {
        const rest = await catchUpInTransaction(tx, projection, scratch, position, batchSize, live);
        events += rest.applied;
      } else if (order > 0) {
        const rest = await catchUpInTransaction(tx, projection, liveTables(projection), live, batchSize, position);
        await saveCheckpoint(tx, projection.name, rest.position, projection.version);
      }
      const diffs: TableDiff[] = [];
      for (const [live, physical] of Object.entries(scratch)) diffs.push(await diffTables(tx, live, physical));
      return diffs;
    });
    return { projection: projection.name, events, tables, ok: tables.every((t) => t.differing === 0) };
  } finally {
    await dropTables(sql, scratch);
  }
}

/**
 * Replays the whole log into `tables`, one transaction per batch (memory
 * stays flat). The next page is read on another connection while this one is
 * applied, so Postgres reads while the projection folds.
 */
async function replayInto(sql: Sql, projection: Projection, tables: TableNames, options: ReplayOptions) {
  const batchSize = options.batchSize ?? 2000;
  // Fresh statistics first: after a bulk load the planner may not know how many events each type has
  // and read every page by bitmap and sort (~10x slower) instead of walking the log index in order.
  await sql`analyze events`;
  const head = await sql<{ max: number | null }[]>`select max(global_position) as max from events`;
  const headPosition = head[0]?.max ?? 0;
  const session = projection.beginRebuild?.(tables) ?? {
    apply: (tx: TransactionSql, events: readonly RecordedEvent[]) => projection.apply(tx, events, tables),
    finish: async () => {},
  };
  const read = (after: LogPosition) => {
    const page = readAll(sql, { after, limit: batchSize, types: projection.eventTypes });
    page.catch(() => undefined); // a read ahead left behind by a failed batch must not surface as unhandled
    return page;
  };
  let position: LogPosition = LOG_START;
  let events = 0;
  let nextAnalyze = 5000;
  let next = read(position);
  for (;;) {
    const page = await next;
    if (!page.caughtUp) next = read(page.position);
    if (page.events.length > 0) {
      await sql.begin(async (tx) => {
        await relaxCommit(tx);
        await session.apply(tx, page.events);
      });
    }
    if (compareLogPositions(page.position, position) > 0) position = page.position;
    events += page.events.length;
    // The scratch tables start empty and have no statistics: the planner would take them for small and
    // join them by sorting every row, at every batch. Analyzed each time the fill doubles (a dozen times
    // for a million events), they are planned as what they are, and plans cached earlier are replaced.
    if (events >= nextAnalyze) {
      for (const table of Object.values(tables)) await sql`analyze ${sql(table)}`;
      nextAnalyze = events * 2;
    }
    options.onProgress?.({ projection: projection.name, events, position: position.globalPosition, headPosition });
    if (page.caughtUp) break;
  }
  await sql.begin((tx) => session.finish(tx));
  return { position, events };
}

interface DeferredIndex {
  table: string;
  /** `btree (conversation_id, sent_at DESC) WHERE arrived`: the definition after USING. */
  method: string;
}

/**
 * Scratch tables like the live ones, with their keys and unique constraints
 * but only the plain indexes the projection's statements need while filling
 * (`rebuildIndexes`): each index written row by row costs more than one built
 * from the filled table. Returns the indexes to build after the fill.
 */
async function createScratchTables(sql: Sql, projection: Projection, tables: TableNames): Promise<DeferredIndex[]> {
  const keep = new Set(projection.rebuildIndexes ?? []);
  const deferred: DeferredIndex[] = [];
  for (const [live, scratch] of Object.entries(tables)) {
    await sql`drop table if exists ${sql(scratch)}`;
    await sql`create table ${sql(scratch)} (like ${sql(live)} including all)`;
    // LIKE does not copy storage parameters (fillfactor): the swapped-in table keeps the live one's.
    const [storage] = await sql<{ options: string[] | null }[]>`select reloptions as options from pg_class where oid = ${live}::regclass`;
    if (storage?.options?.length) await sql`alter table ${sql(scratch)} set (${sql.unsafe(storage.options.join(", "))})`;
    const plain = (table: string) => sql<{ name: string; method: string }[]>`
      select c.relname as name, regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') as method
      from pg_index i join pg_class c on c.oid = i.indexrelid
      where i.indrelid = ${table}::regclass and not i.indisunique and not i.indisprimary
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
    `;
    const kept = new Set((await plain(live)).filter((index) => keep.has(index.name)).map((index) => index.method));
    for (const index of await plain(scratch)) {
      if (kept.has(index.method)) continue;
      await sql`drop index ${sql(index.name)}`;
      deferred.push({ table: scratch, method: index.method });
    }
  }
  return deferred;
}

async function buildIndexes(sql: Sql, indexes: readonly DeferredIndex[]) {
  for (const index of indexes) await sql`create index on ${sql(index.table)} using ${sql.unsafe(index.method)}`;
}

async function dropTables(sql: Sql, tables: TableNames) {
  for (const scratch of Object.values(tables)) await sql`drop table if exists ${sql(scratch)}`;
}

interface IndexInfo {
  name: string;
  shape: string;
}

/**
 * Replaces `live` with `scratch` and gives the new table's indexes (and so its
 * constraints) the live names, matched by their definition, so later
 * migrations find the names they expect.
 */
async function swapTable(tx: TransactionSql, live: string, scratch: string) {
  const indexes = (table: string) => tx<IndexInfo[]>`
    select c.relname as name,
           i.indisunique::text || i.indisprimary::text || regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') as shape
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = ${table}::regclass
  `;
  const liveIndexes = await indexes(live);
  const scratchIndexes = await indexes(scratch);
  await tx`drop table ${tx(live)}`;
  await tx`alter table ${tx(scratch)} rename to ${tx(live)}`;
  for (const index of scratchIndexes) {
    const original = liveIndexes.find((l) => l.shape === index.shape);
    if (original && original.name !== index.name) {
      await tx`alter index ${tx(index.name)} rename to ${tx(original.name)}`;
    }
  }
}

async function diffTables(tx: TransactionSql, live: string, rebuilt: string): Promise<TableDiff> {
  const sample = (a: string, b: string) => tx<{ row: unknown }[]>`
    select to_jsonb(d) as row from (select * from ${tx(a)} except all select * from ${tx(b)}) d limit 20
  `;
  const counts = await tx<{ live_rows: number; rebuilt_rows: number; only_live: number; only_rebuilt: number }[]>`
    select (select count(*) from ${tx(live)})::int as live_rows,
           (select count(*) from ${tx(rebuilt)})::int as rebuilt_rows,
           (select count(*) from (select * from ${tx(live)} except all select * from ${tx(rebuilt)}) a)::int as only_live,
           (select count(*) from (select * from ${tx(rebuilt)} except all select * from ${tx(live)}) b)::int as only_rebuilt
  `;
  const c = counts[0] ?? { live_rows: 0, rebuilt_rows: 0, only_live: 0, only_rebuilt: 0 };
  return {
    table: live,
    liveRows: c.live_rows,
    rebuiltRows: c.rebuilt_rows,
    onlyLive: (await sample(live, rebuilt)).map((r) => r.row),
    onlyRebuilt: (await sample(rebuilt, live)).map((r) => r.row),
    differing: c.only_live + c.only_rebuilt,
  };
}
