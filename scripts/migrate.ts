/**
 * `bun run db:migrate`: applies the pending migrations in drizzle/ to
 * DATABASE_URL (or to the embedded development server when it is unset), the
 * same way the service does at start-up, then prints how many are applied.
 * Useful in a deploy pipeline that migrates before the new replicas start.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { appliedMigrationCount, runMigrations } from "../src/db/migrate";
import { useEmbeddedPostgres } from "../src/platform/embedded-postgres";
import postgres from "postgres";

const USAGE = `usage: bun run db:migrate

Applies the pending migrations (drizzle/) to DATABASE_URL under an advisory lock,
so it is safe beside running replicas. Without DATABASE_URL it uses the embedded
development Postgres (EMBEDDED_POSTGRES_DIR, EMBEDDED_POSTGRES_PORT).`;

const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), options: { help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const config = loadConfig(process.env);
const embedded = config.database.url ? null : await useEmbeddedPostgres(config.database.embedded);
const url = config.database.url ?? embedded?.url ?? "";
const total = await runMigrations(url);
const sql = postgres(url, { max: 1, onnotice: () => undefined });
const applied = await appliedMigrationCount(sql);
await sql.end();
await embedded?.stop();
console.log(`migrations: ${applied} of ${total} applied`);
