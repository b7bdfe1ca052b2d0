/**
 * @module db/client
 * The Postgres connection pool (postgres.js) and its drizzle wrapper.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
export type Database = ReturnType<typeof createDrizzle>;

export interface DatabaseOptions {
  url: string;
  /** Pool size. @default 10 */
  max?: number;
  /** Name shown in pg_stat_activity. @default "commsync-unipile" */
  applicationName?: string;
}

/**
 * Opens a pool. Write transactions are kept short on purpose: an open
 * transaction holds every projection reader back (EVENT-SOURCING.md rule 1),
 * so an idle one is cut off after 15 s.
 */
export function createSql(options: DatabaseOptions): Sql {
  return postgres(options.url, {
    max: options.max ?? 10,
    onnotice: () => undefined,
    // bigint columns (positions, versions, counts) as numbers: they stay far below 2^53.
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    connection: {
      application_name: options.applicationName ?? "commsync-unipile",
      idle_in_transaction_session_timeout: 15000,
      TimeZone: "UTC",
    },
  });
}

export function createDrizzle(sql: Sql) {
  return drizzle(sql, { schema, casing: "snake_case" });
}
