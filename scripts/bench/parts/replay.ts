/**
 * The filled log and replay. The log is filled first (COPY, not measured:
 * scripts/bench/generate.ts), so that every live part meets a service with
 * history, as in production: a fresh, nearly empty log has no statistics and
 * its plans differ. The service is stopped meanwhile, or its runner would
 * project the generated log itself; the rebuild (scripts/bench/replay.ts:
 * every projection, as `bun run replay`) builds the tables, timed against a
 * plain cursor scan of the log when the replay part runs.
 */
import { round } from "../common";
import { baseEnv } from "../processes";
import { step } from "../report";
import type { Bench } from "../setup";

/** What the filled log holds for the query part. */
export interface FilledLog {
  bigChatId: string;
  bigMessages: number;
}

interface Generated {
  bigChatId: string;
  events: number;
  conversations: number;
  bigMessages: number;
  seconds: number;
}

interface Replay {
  logEvents: number;
  reference: { events: number; seconds: number; perSecond: number } | null;
  replay: { seconds: number; perSecond: number; projections: { name: string; events: number; seconds: number }[] };
  memory: { rssBeforeMb: number; peakMb: number; milestones: { fraction: number; events: number; rssMb: number }[] };
}

/** With the service stopped: the log filled, every projection rebuilt from it (measured as the replay part). */
export async function fillAndReplay(bench: Bench): Promise<FilledLog> {
  const { options, processes, database, report } = bench;
  const { size, parts } = options;
  step("filling the log");
  const generated = await processes.runTool<Generated>("generate", [
    "scripts/bench/generate.ts", bench.worldFile,
    "--events", String(size("events")), "--conversations", String(size("conversations")), "--big", String(size("big")), "--run", bench.runId,
  ]);
  const g = generated.result;
  step(`generated ${g.events} events on ${g.conversations} chats in ${round(g.seconds, 1)} s`);

  const replayArgs = ["scripts/bench/replay.ts", database.url, "--batch-size", String(size("batch-size")), ...(parts.has("replay") ? [] : ["--skip-reference"])];
  step(parts.has("replay") ? "replay" : "rebuilding the projections (not measured)");
  const cpu = report.cpuMeter({ postgres: database.child.proc.pid });
  const walBefore = await database.walPosition();
  const replay = await processes.runTool<Replay>("replay", replayArgs);
  const replayCpu = cpu("replay (reference scan and rebuild)", { replay: replay.cpuSeconds });
  const r = replay.result;
  if (parts.has("replay")) report.cost("replay", r.logEvents, replayCpu, "replay", (await database.walPosition()) - walBefore, "reference scan and rebuild, per event of the log");
  if (parts.has("replay") && r.reference) reportReplay(bench, r, r.reference);
  return { bigChatId: g.bigChatId, bigMessages: g.bigMessages };
}

function reportReplay({ report, options }: Bench, r: Replay, reference: NonNullable<Replay["reference"]>) {
  const perProjection = r.replay.projections.map((p) => `${p.name} ${p.events} events in ${round(p.seconds, 1)} s`).join(", ");
  report.add("replay.events_per_s", r.replay.perSecond, "events/s", {
    reference: { figure: "replay.reference.scan_events_per_s", value: round(reference.perSecond), unit: "events/s" },
    ratio: r.replay.perSecond / reference.perSecond,
    note: `${r.logEvents} events in the log, rebuilt in ${round(r.replay.seconds, 1)} s (${perProjection}); batch ${options.size("batch-size")}`,
  });
  report.add("replay.peak_rss_mb", r.memory.peakMb, "MB", { note: `replay process VmHWM; ${round(r.memory.rssBeforeMb)} MB before the rebuild` });
  const first = r.memory.milestones[0];
  const last = r.memory.milestones[r.memory.milestones.length - 1];
  const growth = first && last ? (last.rssMb / first.rssMb - 1) * 100 : Number.NaN;
  const points = r.memory.milestones.map((m) => `${Math.round((m.fraction - 0.25) * 100)}-${Math.round(m.fraction * 100)}%: ${round(m.rssMb)} MB`).join(", ");
  report.add("replay.rss_growth_pct", growth, "%", { note: `peak RSS per quarter of the log (last vs first): ${points}` });
}

/** `bun run replay --verify` on the bench's log: every projection rebuilt equals the live tables. */
export async function verifyReplay({ processes, database, report }: Bench) {
  step("replay --verify on the bench's log");
  const { out, code } = await processes.runToEnd("replay-verify", ["scripts/replay.ts", "--verify"], baseEnv({ DATABASE_URL: database.url }));
  const lines = out.trim().split("\n").filter((l) => !l.startsWith("  "));
  console.log(JSON.stringify({ verify: { exitCode: code, lines } }));
  if (code !== 0) report.problems.push(`replay --verify found differences (exit ${code}):\n${out.slice(-3000)}`);
}
