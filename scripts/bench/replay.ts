/**
 * The replay part of the benchmark, in a process of its own:
 *   bun scripts/bench/replay.ts <database url> [--batch-size 2000] [--skip-reference]
 * First the reference: every event read in log order, (transaction_id,
 * global_position), with a plain postgres.js cursor of 1000 rows, parsing the
 * JSON as the service's pool does. Then what `bun run replay` does: every
 * projection rebuilt into fresh tables and swapped in (`rebuildProjection`),
 * sampling this process's memory after every batch (peak per quarter of the log).
 * Prints one JSON line.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createSql } from "../../src/db/client";
import { rebuildProjection } from "../../src/projections";
import { allProjections } from "../../src/deps";
import { emitResult, processMemory } from "./common";
import { answerHelp } from "../../src/platform/help";

answerHelp(`usage: bun scripts/bench/replay.ts <database url> [--batch-size 2000] [--skip-reference]

A child process of \`bun run bench\`: rebuilds the projections of a bench database and reports the time.`);

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    "batch-size": { type: "string", default: "2000" },
    "skip-reference": { type: "boolean", default: false },
  },
});
const url = positionals[0];
if (!url) {
  console.error("usage: bun scripts/bench/replay.ts <database url> [--batch-size 2000]");
  process.exit(2);
}
const batchSize = Number(values["batch-size"]);
const sql = createSql({ url, max: 4, applicationName: "commsync-bench-replay" });
const [{ n: logEvents } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from events`;
const mb = () => process.memoryUsage().rss / 1024 / 1024;

let reference: { events: number; seconds: number; perSecond: number } | null = null;
if (!values["skip-reference"]) {
  let read = 0;
  const started = performance.now();
  await sql`
    select global_position, transaction_id::text as transaction_id, stream_id, stream_version, type,
           schema_version, data, metadata, dedupe_key, recorded_at
    from events order by events.transaction_id, global_position
  `.cursor(1000, (rows) => {
    read += rows.length;
  });
  const seconds = (performance.now() - started) / 1000;
  reference = { events: read, seconds, perSecond: read / seconds };
}
Bun.gc(true);
// The peak (VmHWM) from here on is the rebuild's alone: writing 5 to clear_refs resets it.
try {
  writeFileSync("/proc/self/clear_refs", "5");
} catch {
  // Not Linux, or not allowed: the peak then includes the reference scan.
}

const rssBefore = mb();
/** Per quarter of the log: the peak RSS and heap while the rebuild read it. */
const quarters: { fraction: number; events: number; rssMb: number; heapMb: number }[] = [];
const projections: { name: string; events: number; seconds: number }[] = [];
const started = performance.now();
for (const projection of allProjections()) {
  const t0 = performance.now();
  const result = await rebuildProjection(sql, projection, {
    batchSize,
    onProgress: (p) => {
      // Peak RSS in each quarter of the log, by position, as the projection reading (nearly) all of it passes.
      if (projection.name !== "messaging") return;
      const fraction = p.headPosition > 0 ? Math.min(1, p.position / p.headPosition) : 1;
      const quarter = Math.min(3, Math.floor(fraction * 4 - 1e-9));
      const current = quarters[quarter] ?? { fraction: (quarter + 1) / 4, events: 0, rssMb: 0, heapMb: 0 };
      quarters[quarter] = { fraction: (quarter + 1) / 4, events: p.events, rssMb: Math.max(current.rssMb, mb()), heapMb: Math.max(current.heapMb, process.memoryUsage().heapUsed / 1024 / 1024) };
    },
  });
  projections.push({ name: result.projection, events: result.events, seconds: (performance.now() - t0) / 1000 });
}
const seconds = (performance.now() - started) / 1000;
const memory = processMemory("self");
await sql.end({ timeout: 5 });
emitResult({
  logEvents,
  batchSize,
  reference,
  replay: { seconds, perSecond: logEvents / seconds, projections },
  memory: { rssBeforeMb: rssBefore, peakMb: memory?.peakMb ?? Number.NaN, milestones: quarters.filter(Boolean) },
});
process.exit(0);
