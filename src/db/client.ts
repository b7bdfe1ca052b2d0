/**
 * @module db/client
 * The Postgres connection pool (postgres.js). drizzle describes the schema and
 * generates the migrations; statements run on postgres.js directly, because
 * drizzle's postgres-js driver rewrites the pool's timestamp parsers (dates
 * would come back as strings everywhere) and cannot wrap a transaction handle.
 */
import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
/** What both a pool and a transaction can do: run queries. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

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
    types: {
      // bigint columns (positions, versions, counts) as numbers: they stay far below 2^53.
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
      // A string bound to a json/jsonb parameter is JSON text already; postgres.js
      // would encode it again and store a JSON string instead of an object.
      json: {
        to: 3802,
        from: [114, 3802],
        serialize: (x: unknown) => (typeof x === "string" ? x : JSON.stringify(x)),
        parse: (x: string) => JSON.parse(x),
      },
    },
    connection: {
      application_name: options.applicationName ?? "commsync-unipile",
      idle_in_transaction_session_timeout: 15000,
      TimeZone: "UTC",
    },
  });
}
