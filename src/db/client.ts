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
  /** A connection attempt that has not finished by then fails (CONNECT_TIMEOUT). @default 2000 */
  connectTimeoutMs?: number;
  /** Postgres cancels a statement running longer (SQLSTATE 57014); 0 or unset: no limit. */
  statementTimeoutMs?: number;
}

/** Longest wait before reconnecting after failed attempts (the driver's own default grows to 20 s). */
const MAX_RECONNECT_DELAY_S = 0.5;

/**
 * Seconds before the next connection attempt after `retries` failed ones:
 * 50 ms doubling up to 0.5 s. A query waits for that attempt, so the delay
 * bounds how long requests take to fail during an outage, and how soon the
 * pool is back after it.
 */
export function reconnectDelaySeconds(retries: number): number {
  return Math.min(0.05 * 2 ** retries, MAX_RECONNECT_DELAY_S);
}

/**
 * Opens a pool. Write transactions are kept short on purpose: an open
 * transaction holds every projection reader back (EVENT-SOURCING.md rule 1),
 * so an idle one is cut off after 15 s. Connecting fails fast and is retried
 * soon, so an unreachable database is an error within seconds, not a wait.
 */
export function createSql(options: DatabaseOptions): Sql {
  return postgres(options.url, {
    max: options.max ?? 10,
    connect_timeout: (options.connectTimeoutMs ?? 2000) / 1000,
    backoff: reconnectDelaySeconds,
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
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
      TimeZone: "UTC",
    },
  });
}
