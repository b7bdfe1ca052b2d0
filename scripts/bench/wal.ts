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
