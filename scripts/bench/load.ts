/**
 * The benchmark's load generator, a process apart from the service:
 *   bun scripts/bench/load.ts ingest-reference <world.json> --count 20000 --concurrency 32 --now <ms>
 *   bun scripts/bench/load.ts ingest-service   <world.json> --count 20000 --concurrency 32 --now <ms>
 *   bun scripts/bench/load.ts ingest-receiver  <world.json> --url http://127.0.0.1:<port> --count 20000 --concurrency 32 --now <ms>
 *   bun scripts/bench/load.ts lag     <world.json> --rate 1000 --seconds 20 --sample 10
 *   bun scripts/bench/load.ts queries <world.json> --requests 1000 --max-seconds 30 --deep 50000 --big-chat=<id> --message-deep 5000
 * Talks HTTP to the service (and, for the ingest reference, Postgres). Prints
 * its measurements as one JSON line on stdout. Each part's load is in load/.
 */
import { parseArgs } from "node:util";
import { answerHelp } from "../../src/platform/help";
import { readWorld } from "./common";
import { type IngestOptions, ingestReceiver, ingestReference, ingestService } from "./load/ingest";
import { lag } from "./load/lag";
import { queries } from "./load/queries";

answerHelp(`usage: bun scripts/bench/load.ts <ingest-reference|ingest-receiver|ingest-service|lag|queries> <world.json> [options]

A child process of \`bun run bench\`: drives one load phase against the world the bench started.
Options: --count --concurrency --warmup --rate --seconds --sample --requests --deep --big-chat
--message-deep --max-seconds --run --now --url`);

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    count: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    warmup: { type: "string", default: "500" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "20" },
    sample: { type: "string", default: "10" },
    requests: { type: "string", default: "1000" },
    deep: { type: "string", default: "50000" },
    "big-chat": { type: "string" },
    "message-deep": { type: "string", default: "5000" },
    "max-seconds": { type: "string", default: "30" },
    run: { type: "string", default: "bench" },
    now: { type: "string" },
    url: { type: "string" },
  },
});
const [mode, worldPath] = positionals;
if (!mode || !worldPath) {
  console.error("usage: bun scripts/bench/load.ts <ingest-reference|ingest-receiver|ingest-service|lag|queries> <world.json> [options]");
  process.exit(2);
}
const world = readWorld(worldPath);
const num = (key: keyof typeof values) => Number(values[key]);
const ingest: IngestOptions = {
  count: num("count"),
  warmup: num("warmup"),
  concurrency: num("concurrency"),
  run: values.run,
  now: values.now === undefined ? undefined : Number(values.now),
};

switch (mode) {
  case "ingest-reference":
    await ingestReference(world, ingest);
    break;
  case "ingest-service":
    await ingestService(world, ingest);
    break;
  case "ingest-receiver":
    await ingestReceiver(world, ingest, values.url);
    break;
  case "lag":
    await lag(world, { rate: num("rate"), seconds: num("seconds"), sampleEvery: num("sample"), run: values.run });
    break;
  case "queries":
    await queries(world, { requests: num("requests"), maxSeconds: num("max-seconds"), deep: num("deep"), messageDeep: num("message-deep"), bigChat: values["big-chat"] });
    break;
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
process.exit(0);
