/**
 * `bun run bench`: the service's benchmark, on this machine and loopback only.
 *
 *   bun run bench                         the full run (about 10 minutes)
 *   bun run bench -- --smoke              a few hundred events per part, no targets (the suite runs it)
 *   bun run bench -- --only ingest,lag    some parts (ingest, lag, replay, queries); memory is always reported
 *   bun run bench -- --events 200000 …    sizes: see SIZES in options.ts for every flag
 *   bun run bench -- --verify             at the end, `bun run replay --verify` on the bench's log
 *
 * It starts everything itself, each in its own process, as in production: a
 * fresh embedded Postgres (temporary data folder, free port), the Unipile
 * sandbox, and the service (`bun src/main.ts`, NODE_ENV=production, LOG_LEVEL=warn,
 * no sync or background jobs, no rate limits). Five WhatsApp accounts are linked through the
 * real API and the sandbox's QR scan; the sandbox seeds their chats (setup.ts,
 * processes.ts). Load comes from other processes (scripts/bench/load.ts,
 * generate.ts, replay.ts).
 *
 * First the log is filled with generated message_received facts (COPY, not
 * measured: `--events` on `--conversations` chats, one of them `--big`), with
 * the service stopped, and every projection is rebuilt from it; so the live
 * parts meet a service with history, as in production (parts/replay.ts).
 *
 * 1. ingest (parts/ingest.ts): distinct message_received webhooks POSTed at a fixed concurrency,
 *    and the time until the projections applied the last one ("caught up");
 *    references: a minimal receiver (scripts/bench/receiver.ts: Hono on Bun,
 *    secret check, JSON.parse, one INSERT per request) with the same bodies
 *    at the same concurrency, and the same bodies as one INSERT per statement
 *    without HTTP (the physical limit).
 * 2. lag (parts/lag.ts): webhooks on an open-loop schedule; every Nth message is read back
 *    through GET /api/conversations/:id/messages until it shows; again at half
 *    the ingest capacity measured in 1.
 * 3. replay (parts/replay.ts): the rebuild above, timed (every projection, as `bun run replay`);
 *    reference: a plain cursor scan of the log in the same order.
 * 4. queries (parts/queries.ts): sequential GETs of the conversation list (first page, deep
 *    cursor) and the big conversation's messages (first page, deep cursor).
 * 5. memory (parts/memory.ts): the service's RSS sampled throughout.
 *
 * Per webhook (per event for the replay), each part and reference: CPU of
 * the process doing the work, Postgres CPU (its process tree) and WAL bytes
 * (pg_current_wal_lsn before and after), as `cost.*` figures.
 *
 * Output (report.ts, with the targets): one JSON line per figure, then a
 * table. Every process, the Postgres server and the temporary folder are
 * removed at the end, on failure and on Ctrl-C (processes.ts).
 */
import { answerHelp } from "../../src/platform/help";
import { parseOptions, USAGE } from "./options";
import { ingest } from "./parts/ingest";
import { lag } from "./parts/lag";
import { queries } from "./parts/queries";
import { fillAndReplay, verifyReplay } from "./parts/replay";
import { Processes } from "./processes";
import { Report, step } from "./report";
import { setUp } from "./setup";

answerHelp(USAGE);
const options = parseOptions(process.argv.slice(2));
const processes = new Processes(options.keepTemp);
processes.cleanupOnSignals();
const report = new Report(options.smoke);

async function main() {
  const started = Date.now();
  const bench = await setUp(options, processes, report);
  // The log is filled with the service stopped (parts/replay.ts says why), then it starts again on it.
  await bench.service.stop();
  bench.memory.phasePeak("setup");
  const log = await fillAndReplay(bench);
  await bench.service.start();
  step("service restarted on the filled log");

  let ingestCapacity: number | null = null;
  if (options.parts.has("ingest")) ingestCapacity = await ingest(bench);
  if (options.parts.has("lag")) await lag(bench, ingestCapacity);
  if (options.parts.has("queries")) await queries(bench, log);

  await bench.service.stop();
  bench.memory.report(report);
  if (options.verify) await verifyReplay(bench);
  await bench.database.stats.end({ timeout: 2 });
  report.printTable(started);
}

let exitCode = 0;
try {
  await main();
  if (report.problems.length > 0) {
    console.error(`bench: problems:\n${report.problems.map((p) => `  - ${p}`).join("\n")}`);
    exitCode = 1;
  }
} catch (error) {
  console.error("bench failed:", error instanceof Error ? (error.stack ?? error.message) : error);
  exitCode = 1;
} finally {
  await processes.cleanup();
}
process.exit(exitCode);
