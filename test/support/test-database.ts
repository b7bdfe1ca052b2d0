/**
 * One fresh database per test file on the one test server (DATABASE_URL),
 * migrated from drizzle/ and dropped after the file. Creating a database costs
 * milliseconds where a server costs seconds; inside a file, tests use fresh
 * ids instead of cleaning up.
 */
import postgres from "postgres";
import { loadConfig } from "../../src/config";
import { createSql, type Sql } from "../../src/db/client";
import { runMigrations } from "../../src/db/migrate";

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  /** Another pool on the same database (a second replica, a second runner). */
  connect(max?: number): Sql;
  drop(): Promise<void>;
}

export function testServerUrl(): string {
  const url = loadConfig(process.env).database.url;
  if (!url) throw new Error("No test Postgres: run ./scripts/test, or set DATABASE_URL to a server the tests may create databases on.");
  return url;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (options.migrate !== false) await runMigrations(url.toString());
  const sql = createSql({ url: url.toString(), max: 20 });
  const extra: Sql[] = [];
  return {
    name,
    url: url.toString(),
    sql,
    connect(max = 5) {
      const pool = createSql({ url: url.toString(), max });
      extra.push(pool);
      return pool;
    },
    async drop() {
      await Promise.all([sql, ...extra].map((pool) => pool.end({ timeout: 1 })));
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}
