/**
 * Shared by the benchmark's processes (scripts/bench/main.ts and the rest of scripts/bench/):
 * the world file they exchange, figures, latency summaries, process memory
 * from /proc, free loopback ports.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

/** One chat the load generator writes in, as the sandbox seeded it. */
export interface BenchChat {
  unipileAccountId: string;
  accountPhone: string;
  chatId: string;
  providerChatId: string;
  isGroup: boolean;
  subject: string | null;
  contact: { attendeeId: string; name: string; phone: string };
}

/** What the orchestrator set up and hands to the other processes (a JSON file). */
export interface BenchWorld {
  serviceUrl: string;
  sandboxUrl: string;
  sandboxToken: string;
  databaseUrl: string;
  webhookSecret: string;
  /** A JWT of `userId`, who owns every account. */
  token: string;
  userId: string;
  accounts: { accountId: string; unipileAccountId: string; phone: string }[];
  chats: BenchChat[];
}

export const readWorld = (path: string): BenchWorld => JSON.parse(readFileSync(path, "utf8")) as BenchWorld;

export interface Target {
  op: ">=" | "<=";
  value: number;
}

/** One printed figure. `reference` and `ratio` when it was measured beside a reference. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  target: Target | null;
  met: boolean | null;
  reference?: { figure: string; value: number; unit: string };
  ratio?: number;
  note?: string;
}

export function figure(
  name: string,
  value: number,
  unit: string,
  target: Target | null,
  extra: { reference?: Figure["reference"]; ratio?: number; note?: string } = {},
): Figure {
  const met = target === null ? null : target.op === ">=" ? value >= target.value : value <= target.value;
  return { figure: name, value: round(value), unit, target, met, ...extra, ...(extra.ratio === undefined ? {} : { ratio: round(extra.ratio, 3) }) };
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles of latencies in ms. */
export function summarize(latencies: number[]): LatencySummary {
  if (latencies.length === 0) return { count: 0, p50: Number.NaN, p99: Number.NaN, mean: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  let sum = 0;
  for (const l of sorted) sum += l;
  return {
    count: sorted.length,
    p50: round(at(0.5), 3),
    p99: round(at(0.99), 3),
    mean: round(sum / sorted.length, 3),
    max: round(sorted[sorted.length - 1] as number, 3),
  };
}

/** VmRSS and VmHWM (peak) of a process in MiB, from /proc; null once it is gone. */
export function processMemory(pid: number | "self"): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak. */
export function memorySampler(pid: number, everyMs = 200) {
  let peakMb = 0;
  let lastMb = 0;
  const sample = () => {
    const m = processMemory(pid);
    if (!m) return;
    lastMb = m.rssMb;
    peakMb = Math.max(peakMb, m.rssMb, Number.isFinite(m.peakMb) ? m.peakMb : 0);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    get peakMb() {
      return peakMb;
    },
    get lastMb() {
      return lastMb;
    },
    /** Takes a last sample (VmHWM included) and stops. Call before the process exits. */
    stop() {
      sample();
      clearInterval(timer);
      return peakMb;
    },
  };
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export function machineInfo() {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model?.trim() ?? "unknown",
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    kernel: readFirstLine("/proc/sys/kernel/osrelease"),
    bun: Bun.version,
  };
}

function readFirstLine(path: string): string {
  try {
    return readFileSync(path, "utf8").split("\n")[0]?.trim() ?? "";
  } catch {
    return "";
  }
}

/** Runs `worker` on `concurrency` lanes until `next()` returns undefined. */
export async function lanes<T>(concurrency: number, next: () => T | undefined, worker: (item: T) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = next(); item !== undefined; item = next()) await worker(item);
    }),
  );
}

/** Prints one result object as the process's last stdout line (the orchestrator parses it). */
export function emitResult(result: unknown) {
  process.stdout.write(`${JSON.stringify({ result, cpuSeconds: ownCpuSeconds() })}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every figure a full run prints (the smoke test checks each is there). */
export const FIGURES = [
  "ingest.accepted_per_s",
  "ingest.ratio",
  "ingest.caught_up_per_s",
  "ingest.caught_up_ratio",
  "ingest.raw_insert_per_s",
  "ingest.p50_ms",
  "ingest.p99_ms",
  "ingest.p99_ratio",
  ...(["ingest.raw_insert", "ingest.receiver", "ingest.service", "lag", "replay"] as const).flatMap((part) =>
    (["worker_cpu_ms", "postgres_cpu_ms", "wal_bytes"] as const).map((cost) => `cost.${part}.${cost}` as const),
  ),
  "lag.p50_ms",
  "lag.p99_ms",
  "lag.webhook_p99_ms",
  "lag.half_capacity.p50_ms",
  "lag.half_capacity.p99_ms",
  "replay.events_per_s",
  "replay.peak_rss_mb",
  "replay.rss_growth_pct",
  "queries.conversations_first.p50_ms",
  "queries.conversations_first.p99_ms",
  "queries.conversations_deep.p50_ms",
  "queries.conversations_deep.p99_ms",
  "queries.messages_first.p50_ms",
  "queries.messages_first.p99_ms",
  "queries.messages_deep.p50_ms",
  "queries.messages_deep.p99_ms",
  "memory.service_peak_rss_mb",
] as const;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

function readProcStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields start after the last ')'.
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      const n = (i: number) => Number(fields[i - 3]);
      stats.push({ pid: Number(name), ppid: n(4), ticks: n(14) + n(15) + n(16) + n(17) });
    } catch {
      // Gone meanwhile.
    }
  }
  return stats;
}

const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by each named process tree (the process, its live
 * descendants, and the descendants they already reaped).
 */
export function cpuSeconds(roots: Record<string, number>): Record<string, number> {
  const stats = readProcStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(roots)) {
    let ticks = 0;
    const stack = byPid.has(pid) ? [byPid.get(pid) as ProcStat] : [];
    while (stack.length > 0) {
      const s = stack.pop() as ProcStat;
      ticks += s.ticks;
      stack.push(...(children.get(s.pid) ?? []));
    }
    out[name] = ticks / CLOCK_TICKS;
  }
  return out;
}

/** This process's CPU seconds (user + system). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
