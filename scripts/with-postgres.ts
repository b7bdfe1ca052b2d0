/**
 * Runs a command with DATABASE_URL pointing at a Postgres server: the
 * configured one when DATABASE_URL is set, otherwise an embedded server started
 * for the run (data in .data/postgres-test, port 54330) and stopped after it.
 *
 *   bun scripts/with-postgres.ts -- bun test
 */
import { loadConfig } from "../src/config";
import { startEmbeddedPostgres } from "../src/platform/embedded-postgres";
import { answerHelp } from "../src/platform/help";

// Only before "--": after it, --help belongs to the command.
const ownArgs = process.argv.indexOf("--") >= 0 ? process.argv.slice(2, process.argv.indexOf("--")) : process.argv.slice(2, 3);
answerHelp(`usage: bun scripts/with-postgres.ts -- <command> [args...]

Runs the command with DATABASE_URL set: the configured server, or an embedded
Postgres started for the run (.data/postgres-test, port 54330) and stopped after it.`, ownArgs);
const separator = process.argv.indexOf("--");
// Bun may consume the "--" itself, so everything after the script is the command.
const command = separator >= 0 ? process.argv.slice(separator + 1) : process.argv.slice(2);
if (command.length === 0) {
  console.error("usage: bun scripts/with-postgres.ts -- <command> [args...]");
  process.exit(2);
}

const config = loadConfig({ ...process.env, NODE_ENV: process.env.NODE_ENV ?? "test" });
let url = config.database.url;
let stop = async () => {};
if (!url) {
  // This script forwards signals to the command and stops the server after it.
  const embedded = await startEmbeddedPostgres({ dir: ".data/postgres-test", port: 54330, handlesSignals: true });
  url = embedded.url;
  stop = embedded.stop;
}

const child = Bun.spawn(command, {
  env: { ...process.env, DATABASE_URL: url },
  stdio: ["inherit", "inherit", "inherit"],
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
const code = await child.exited;
await stop();
process.exit(code);
