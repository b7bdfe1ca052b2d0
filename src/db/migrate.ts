/**
 * @module db/migrate
 * Applies the drizzle-kit migrations in `drizzle/` under a Postgres advisory
 * lock, so several replicas starting at once apply each migration once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Sql } from "./client";

export const MIGRATIONS_FOLDER = join(import.meta.dir, "../../drizzle");
const MIGRATION_LOCK = 7_304_118_001;

/** Runs pending migrations; returns how many migrations the folder holds. */
export async function runMigrations(url: string): Promise<number> {
  // One connection, so the session-level advisory lock covers every statement.
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
    }
    return expectedMigrationCount();
  } finally {
    await sql.end();
  }
}

export function expectedMigrationCount(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

/** How many migrations the database has applied (0 when none ran yet). */
export async function appliedMigrationCount(sql: Sql): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(*)::int as n from drizzle.__drizzle_migrations
  `.catch(() => [{ n: 0 }]);
  return rows[0]?.n ?? 0;
}
