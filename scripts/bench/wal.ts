/**
 * Where a part's WAL went, for the benchmark's notes: bytes per relation
 * (record data and full-page images) between two WAL positions, read with
 * pg_walinspect (contrib). Diagnostic only: when the extension is missing,
 * the breakdown is empty.
 */
import type postgres from "postgres";

export interface WalShare {
  relation: string;
  /** Bytes of full-page images. */
  fpiBytes: number;
  /** Bytes of everything else in the records touching it (block data, headers). */
  recordBytes: number;
}

export async function walLsn(sql: postgres.Sql): Promise<string> {
  const [row] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  return row?.lsn ?? "0/0";
}

/** The heaviest relations between two positions, heaviest first. */
export async function walByRelation(sql: postgres.Sql, from: string, to: string, top = 10): Promise<WalShare[]> {
  try {
    await sql`create extension if not exists pg_walinspect`;
    return await sql<WalShare[]>`
      select coalesce(c.relname, b.relfilenode::text) as relation,
             sum(b.block_fpi_length)::float8 as "fpiBytes",
             sum(b.block_data_length)::float8 as "recordBytes"
      from pg_get_wal_block_info(${from}::pg_lsn, ${to}::pg_lsn, false) b
      left join pg_class c on c.relfilenode = b.relfilenode
      group by 1 order by sum(b.block_fpi_length + b.block_data_length) desc limit ${top}
    `;
  } catch (error) {
    console.error(`bench: no WAL breakdown (${error instanceof Error ? error.message : String(error)})`);
    return [];
  }
}

/** "events 1.2 KB (FPI 0.4 KB), …" per unit. */
export function describeShares(shares: WalShare[], units: number): string {
  const kb = (bytes: number) => `${Math.round(bytes / units / 10.24) / 100} KB`;
  return shares.map((s) => `${s.relation} ${kb(s.recordBytes + s.fpiBytes)} (FPI ${kb(s.fpiBytes)})`).join(", ");
}

/** Forgets the statement statistics (pg_stat_statements), so the next `topStatements` covers one part. */
export async function resetStatements(sql: postgres.Sql): Promise<void> {
  try {
    await sql`create extension if not exists pg_stat_statements`;
    await sql`select pg_stat_statements_reset()`;
  } catch (error) {
    console.error(`bench: no statement statistics (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** "12% 0.08 ms/unit ×3.1 insert into events …" for the statements Postgres spent most time in since the reset. */
export async function topStatements(sql: postgres.Sql, units: number, top = 8): Promise<string> {
  try {
    const rows = await sql<{ query: string; ms: number; calls: number; share: number; wal: number }[]>`
      select regexp_replace(left(query, 4000), '\\s+', ' ', 'g') as query, total_exec_time as ms, calls::float8 as calls,
             total_exec_time / nullif(sum(total_exec_time) over (), 0) as share, wal_bytes::float8 as wal
      from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit ${top}
    `;
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return rows
      .map((r) => `${Math.round(r.share * 100)}% ${r2(r.ms / units)} ms ${r2(r.calls / units)} calls ${Math.round(r.wal / units)} B WAL per unit: ${summarizeQuery(r.query)}`)
      .join(" | ");
  } catch (error) {
    return `(no statement statistics: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The statement's first words and the tables it names, short. */
function summarizeQuery(query: string): string {
  const tables = [...new Set([...query.matchAll(/\b(?:from|into|update|join)\s+([a-z_]+)/gi)].map((m) => m[1]))].slice(0, 5);
  return `${query.trim().slice(0, 40)}… [${tables.join(", ")}]`;
}
