/**
 * Rebuilds every projection from the log and swaps the new tables in:
 *   bun run replay [--projection <name>]
 * Rebuilds into scratch tables and compares them with the live ones row for
 * row, printing the differences; exits 1 on any:
 *   bun run replay --verify
 */
import { parseArgs } from "node:util";
import { answerHelp } from "../src/platform/help";
import { loadConfig } from "../src/config";
import { createSql } from "../src/db/client";
import { runMigrations } from "../src/db/migrate";
import { rebuildProjection, type ReplayProgress, verifyProjection } from "../src/projections";
import { allProjections } from "../src/deps";
import { useEmbeddedPostgres } from "../src/platform/embedded-postgres";

answerHelp(`usage: bun run replay [-- --projection <name>]... [--batch-size 2000]
       bun run replay -- --verify [--projection <name>]...

Rebuilds every projection (or the named ones) from the event log into scratch tables
and swaps them in. --verify rebuilds beside the live tables and compares them row for
row, printing the differences (exit 1 on any). Uses DATABASE_URL, or the embedded
development Postgres when it is unset.`);
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    verify: { type: "boolean", default: false },
    projection: { type: "string", multiple: true },
    "batch-size": { type: "string", default: "2000" },
  },
});
const config = loadConfig(process.env);
const embedded = config.database.url ? null : await useEmbeddedPostgres(config.database.embedded);
const url = config.database.url ?? embedded?.url ?? "";
await runMigrations(url);
const sql = createSql({ url, max: 4, applicationName: "commsync-replay" });
const batchSize = Number(values["batch-size"]);
const selected = allProjections().filter((p) => !values.projection || values.projection.includes(p.name));
if (values.projection && selected.length !== values.projection.length) {
  console.error(`unknown projection; known: ${allProjections().map((p) => p.name).join(", ")}`);
  process.exit(2);
}

const started = performance.now();
const onProgress = progressPrinter();
let failed = false;
for (const projection of selected) {
  if (values.verify) {
    const report = await verifyProjection(sql, projection, { batchSize, onProgress });
    onProgress.done();
    for (const table of report.tables) {
      const verdict = table.differing === 0 ? "OK" : `DIFFERS (${table.differing} rows)`;
      console.log(`${projection.name} / ${table.table}: live ${table.liveRows} rows, rebuilt ${table.rebuiltRows} rows: ${verdict}`);
      for (const row of table.onlyLive) console.log(`  only live:    ${JSON.stringify(row)}`);
      for (const row of table.onlyRebuilt) console.log(`  only rebuilt: ${JSON.stringify(row)}`);
    }
    failed ||= !report.ok;
  } else {
    const result = await rebuildProjection(sql, projection, { batchSize, onProgress });
    onProgress.done();
    console.log(`${projection.name}: rebuilt from ${result.events} events and swapped in`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`${values.verify ? "verified" : "rebuilt"} ${selected.length} projection(s) in ${seconds.toFixed(1)} s${failed ? ": DIFFERENCES FOUND" : ""}`);
await sql.end({ timeout: 5 });
await embedded?.stop();
process.exit(failed ? 1 : 0);

/** On a terminal: one updating line with events/s and ETA. Elsewhere: silent. */
function progressPrinter() {
  const tty = process.stderr.isTTY;
  let last = 0;
  let since = performance.now();
  const print = (p: ReplayProgress) => {
    if (!tty) return;
    const now = performance.now();
    if (now - last < 200) return;
    last = now;
    const rate = p.events / Math.max((now - since) / 1000, 0.001);
    const left = Math.max(p.headPosition - p.position, 0);
    const eta = rate > 0 ? left / rate : 0;
    process.stderr.write(`\r${p.projection}: ${p.events} events, ${Math.round(rate)} events/s, ETA ${eta.toFixed(0)} s   `);
  };
  return Object.assign(print, {
    done() {
      if (tty) process.stderr.write("\n");
      since = performance.now();
    },
  });
}
