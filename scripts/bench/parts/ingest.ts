/**
 * ingest: distinct message_received webhooks POSTed at a fixed concurrency,
 * and the time until the projections applied the last one ("caught up").
 * References, with the same bodies at the same concurrency: a minimal
 * receiver (scripts/bench/receiver.ts: Hono on Bun, secret check,
 * JSON.parse, one INSERT per request), and the same bodies as one INSERT per
 * statement without HTTP (the physical limit). The load comes from
 * scripts/bench/load.ts.
 */
import { freePort, round } from "../common";
import { baseEnv, waitFor } from "../processes";
import { step } from "../report";
import type { Bench } from "../setup";
import { describeShares, resetStatements, topStatements, walByRelation, walLsn } from "../wal";

/** What the load process measured on one side. */
interface Side {
  p50: number;
  p99: number;
  perSecond: number;
  accepted: number;
  errors: number;
  seconds: number;
}
type Raw = Side & { rows: number; bodyBytes: number };
type Served = Side & { caughtUpSeconds: number; caughtUpPerSecond: number };

/** The load process's arguments for one side. */
type LoadArgs = (mode: string, ...extra: string[]) => string[];

/** Measures the service's ingest against its references; returns its capacity (accepted webhooks/s). */
export async function ingest(bench: Bench): Promise<number> {
  const { size } = bench.options;
  const args: LoadArgs = (mode, ...extra) => [
    "scripts/bench/load.ts", mode, bench.worldFile,
    "--count", String(size("ingest-count")), "--concurrency", String(size("concurrency")), "--warmup", String(size("warmup")),
    "--run", bench.runId, "--now", String(Date.now()), ...extra,
  ];
  const raw = await rawInsert(bench, args);
  const minimal = await minimalReceiver(bench, args);
  const service = await serviceIngest(bench, args);
  reportIngest(bench, service, minimal, raw);
  const cpu = bench.report.cpuMeter(bench.roots());
  await bench.service.settle();
  cpu("ingest: projections settling after the load");
  bench.memory.phasePeak("ingest");
  return service.perSecond;
}

/** Webhooks one side handles: the measured ones and the warm-up. */
const webhooks = (bench: Bench) => bench.options.size("ingest-count") + bench.options.size("warmup");
const costNote = (what: string) => `${what}, warm-up included`;

async function rawInsert(bench: Bench, args: LoadArgs): Promise<Raw> {
  const { database, report } = bench;
  step("ingest: the physical limit (one INSERT per payload, no HTTP)");
  await database.quiesce();
  const cpu = report.cpuMeter(bench.roots());
  const wal = await database.walPosition();
  const raw = await bench.processes.runTool<Raw>("load-ingest-reference", args("ingest-reference"));
  const seconds = cpu("ingest raw INSERT (warm-up included)", { load: raw.cpuSeconds });
  report.cost("ingest.raw_insert", webhooks(bench), seconds, "load", (await database.walPosition()) - wal, costNote("the load process issuing the INSERTs"));
  return raw.result;
}

async function minimalReceiver(bench: Bench, args: LoadArgs): Promise<Side> {
  const { database, report, processes, options } = bench;
  step("ingest: the minimal receiver (Hono, secret, JSON.parse, one INSERT per request)");
  const port = freePort();
  const env = baseEnv({ UNIPILE_WEBHOOK_SECRET: bench.service.webhookSecret });
  const receiver = processes.spawnDaemon("receiver", ["scripts/bench/receiver.ts", database.url, String(port), String(options.size("concurrency"))], env);
  await waitFor("the minimal receiver", receiver, async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 404 || null);
  await database.quiesce("bench_ref");
  const cpu = report.cpuMeter({ ...bench.roots(), receiver: receiver.proc.pid });
  const wal = await database.walPosition();
  const minimal = await processes.runTool<Side>("load-ingest-receiver", args("ingest-receiver", "--url", `http://127.0.0.1:${port}`));
  const seconds = cpu("ingest minimal receiver (warm-up included)", { load: minimal.cpuSeconds });
  report.cost("ingest.receiver", webhooks(bench), seconds, "receiver", (await database.walPosition()) - wal, costNote("the receiver process"));
  await processes.stopChild(receiver);
  return minimal.result;
}

async function serviceIngest(bench: Bench, args: LoadArgs): Promise<Served> {
  const { database, report } = bench;
  const { stats } = database;
  step("ingest: the service");
  await database.quiesce("bench_receiver");
  const cpu = report.cpuMeter(bench.roots());
  const wal = await database.walPosition();
  const walFrom = await walLsn(stats);
  await resetStatements(stats);
  const service = await bench.processes.runTool<Served>("load-ingest-service", args("ingest-service"));
  const serviceCpu = cpu("ingest service until caught up (warm-up included)", { load: service.cpuSeconds });
  const walTo = await walLsn(stats);
  const serviceWal = (await database.walPosition()) - wal;
  // The breakdowns are read after the measurement: reading the WAL back costs Postgres seconds.
  const statements = await topStatements(stats, webhooks(bench));
  const shares = describeShares(await walByRelation(stats, walFrom, walTo), webhooks(bench));
  const note = `${costNote("the service, until its projections caught up")}; WAL per webhook by relation: ${shares}; Postgres time by statement: ${statements}`;
  report.cost("ingest.service", webhooks(bench), serviceCpu, "service", serviceWal, note);
  return service.result;
}

function reportIngest({ report, options, accountCount }: Bench, service: Served, minimal: Side, raw: Raw) {
  const { size } = options;
  if (service.errors > 0) report.problems.push(`ingest: ${service.errors} webhooks were not answered 200`);
  if (minimal.errors > 0) report.problems.push(`ingest: ${minimal.errors} webhooks were not answered 200 by the minimal receiver`);
  if (raw.errors > 0) report.problems.push(`ingest: ${raw.errors} reference inserts failed`);
  const ref = (name: string, value: number, unit: string) => ({ figure: `ingest.${name}`, value: round(value), unit });
  const note = `${size("ingest-count")} webhooks of ${Math.round(raw.bodyBytes)} bytes, concurrency ${size("concurrency")}, ${size("chats")} chats on ${accountCount} accounts`;
  report.add("ingest.accepted_per_s", service.perSecond, "webhooks/s", { reference: ref("receiver.accepted_per_s", minimal.perSecond, "webhooks/s"), ratio: service.perSecond / minimal.perSecond, note });
  report.add("ingest.ratio", service.perSecond / minimal.perSecond, "x", { note: "accepted webhooks/s ÷ the minimal receiver's" });
  report.add("ingest.caught_up_per_s", service.caughtUpPerSecond, "webhooks/s", {
    reference: ref("receiver.accepted_per_s", minimal.perSecond, "webhooks/s"),
    ratio: service.caughtUpPerSecond / minimal.perSecond,
    note: `webhooks ÷ seconds from the first until every projection applied the last (${round(service.caughtUpSeconds, 1)} s)`,
  });
  report.add("ingest.caught_up_ratio", service.caughtUpPerSecond / minimal.perSecond, "x");
  report.add("ingest.raw_insert_per_s", raw.perSecond, "inserts/s", { ratio: service.perSecond / raw.perSecond, note: "the physical limit: the same bodies, one INSERT per statement, no HTTP; ratio: the service's accepted/s to it" });
  report.add("ingest.p50_ms", service.p50, "ms", { reference: ref("receiver.p50_ms", minimal.p50, "ms"), ratio: service.p50 / minimal.p50 });
  report.add("ingest.p99_ms", service.p99, "ms", { reference: ref("receiver.p99_ms", minimal.p99, "ms"), ratio: service.p99 / minimal.p99 });
  report.add("ingest.p99_ratio", service.p99 / minimal.p99, "x", { note: `service p99 ÷ the minimal receiver's; raw INSERT p99 ${round(raw.p99)} ms` });
}
