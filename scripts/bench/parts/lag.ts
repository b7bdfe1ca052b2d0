/**
 * lag: webhooks on an open-loop schedule (scripts/bench/load.ts lag); every
 * Nth message is read back through GET /api/conversations/:id/messages until
 * it shows. Again at half the ingest capacity when the ingest part measured it.
 */
import { round } from "../common";
import { step } from "../report";
import type { Bench } from "../setup";

interface Summary {
  p50: number;
  p99: number;
  count: number;
  max: number;
}

interface Lag {
  achievedRate: number;
  total: number;
  errors: number;
  notVisible: number;
  sampleEvery: number;
  lag: Summary;
  webhook: Summary;
  scheduleDelay: Summary;
}

export async function lag(bench: Bench, ingestCapacity: number | null) {
  const { report, options } = bench;
  const { size } = options;
  const { r, note, cpuSpent, walBytes } = await lagRun(bench, `at ${size("lag-rate")}/s`, size("lag-rate"), size("lag-seconds"), `${bench.runId}:lag`);
  report.cost("lag", r.total, cpuSpent, "service", walBytes, `at ${size("lag-rate")}/s, every ${r.sampleEvery}th read back`);
  report.add("lag.p50_ms", r.lag.p50, "ms", { note });
  report.add("lag.p99_ms", r.lag.p99, "ms");
  report.add("lag.webhook_p99_ms", r.webhook.p99, "ms", { note: `webhook answer from its scheduled time at ${size("lag-rate")}/s (open loop: a queue shows here)` });
  if (ingestCapacity !== null) {
    // The same at half the ingest capacity measured above: the projection's own lag, without an ingest queue.
    const rate = Math.max(1, Math.round(Math.min(size("lag-rate"), ingestCapacity / 2)));
    const half = await lagRun(bench, `at half the ingest capacity (${rate}/s)`, rate, Math.max(1, Math.round(size("lag-seconds") / 2)), `${bench.runId}:lag-half`);
    report.add("lag.half_capacity.p50_ms", half.r.lag.p50, "ms", { note: half.note });
    report.add("lag.half_capacity.p99_ms", half.r.lag.p99, "ms");
  }
  bench.memory.phasePeak("lag");
}

/** One open-loop run at `rate` webhooks/s for `seconds`. */
async function lagRun(bench: Bench, label: string, rate: number, seconds: number, run: string) {
  const { database, report, options } = bench;
  step(`lag at ${rate}/s for ${seconds} s`);
  await database.quiesce("events", "messages", "conversations");
  const cpu = report.cpuMeter(bench.roots());
  const wal = await database.walPosition();
  const tool = await bench.processes.runTool<Lag>("load-lag", [
    "scripts/bench/load.ts", "lag", bench.worldFile,
    "--rate", String(rate), "--seconds", String(seconds), "--sample", String(options.size("lag-sample")), "--run", run,
  ]);
  const r = tool.result;
  const cpuSpent = cpu(`lag ${label}`, { load: tool.cpuSeconds });
  const walBytes = (await database.walPosition()) - wal;
  if (r.errors > 0) report.problems.push(`lag: ${r.errors} webhooks were not answered 200`);
  // Overloaded (full runs), messages may take longer than the 10 s the sampler waits: a measurement, not a failure.
  if (r.notVisible > 0 && options.smoke) report.problems.push(`lag: ${r.notVisible} sampled messages never showed within 10 s`);
  await bench.service.settle();
  const notVisible = r.notVisible ? `, ${r.notVisible} not visible within 10 s` : "";
  const webhook = `webhook answers p50 ${round(r.webhook.p50)} ms, p99 ${round(r.webhook.p99)} ms from their scheduled times`;
  const note = `${r.total} webhooks at ${round(r.achievedRate)}/s scheduled (open loop), every ${r.sampleEvery}th read back (${r.lag.count} samples${notVisible}); ${webhook}; lag max ${round(r.lag.max)} ms`;
  return { r, note, cpuSpent, walBytes };
}
