/**
 * Holds the benchmark's embedded Postgres in a process of its own:
 *   bun scripts/bench/postgres.ts <data dir> <port>
 * Prints `ready <url>` once the server accepts connections, and stops it on
 * SIGINT/SIGTERM or when its standard input closes (the orchestrator ended,
 * however it ended), so no server outlives a run.
 */
import { startEmbeddedPostgres } from "../../src/platform/embedded-postgres";
import { answerHelp } from "../../src/platform/help";

answerHelp(`usage: bun scripts/bench/postgres.ts <data dir> <port>

A child process of \`bun run bench\`: runs an embedded Postgres (with pg_stat_statements) until stdin closes.`);

const [dir, portText] = process.argv.slice(2);
const port = Number(portText);
if (!dir || !Number.isInteger(port) || port <= 0) {
  console.error("usage: bun scripts/bench/postgres.ts <data dir> <port>");
  process.exit(2);
}

// pg_stat_statements: the bench reports which statements the service's Postgres time goes to.
const server = await startEmbeddedPostgres({ dir, port, onLog: (line) => process.stderr.write(line), settings: { shared_preload_libraries: "pg_stat_statements" } });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => undefined);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.on("close", () => void stop());
process.stdin.resume();
process.stdout.write(`ready ${server.url}\n`);
