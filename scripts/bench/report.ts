/**
 * What the bench prints: progress on stderr; on stdout one JSON line per
 * figure and per part's CPU seconds as they are measured, then the table.
 * The targets of a full run are all here; a smoke run has none.
 */
import { cpuSeconds, type Figure, figure, round, type Target } from "./common";

const runStarted = performance.now();

/** Progress on stderr (stdout carries the figures). */
export const step = (what: string) => console.error(`bench: [${round((performance.now() - runStarted) / 1000, 1)} s] ${what}`);

/** The targets, for full runs only. */
const TARGETS: Record<string, Target> = {
  "ingest.ratio": { op: ">=", value: 1.0 },
  "ingest.caught_up_ratio": { op: ">=", value: 1.0 },
  "ingest.p99_ratio": { op: "<=", value: 2.0 },
  "lag.p99_ms": { op: "<=", value: 100 },
  "replay.events_per_s": { op: ">=", value: 50_000 },
  "replay.rss_growth_pct": { op: "<=", value: 20 },
  "queries.conversations_first.p99_ms": { op: "<=", value: 10 },
  "queries.conversations_deep.p99_ms": { op: "<=", value: 10 },
  "queries.messages_first.p99_ms": { op: "<=", value: 10 },
  "queries.messages_deep.p99_ms": { op: "<=", value: 10 },
  "memory.service_peak_rss_mb": { op: "<=", value: 250 },
};

type Extra = Parameters<typeof figure>[4];

interface CpuLine {
  part: string;
  wallSeconds: number;
  seconds: Record<string, number>;
}

export class Report {
  readonly figures: Figure[] = [];
  /** What went wrong without stopping the run; any makes the bench exit 1. */
  readonly problems: string[] = [];
  private readonly cpuLines: CpuLine[] = [];

  constructor(private readonly smoke: boolean) {}

  /** Prints and keeps one figure, with its target on a full run. */
  add(name: string, value: number, unit: string, extra: Extra = {}) {
    const target = this.smoke ? null : (TARGETS[name] ?? null);
    const f = figure(name, value, unit, target, extra);
    this.figures.push(f);
    console.log(JSON.stringify(f));
  }

  /**
   * CPU seconds each process tree used from now until the returned function is
   * called (tools report their own); printed as a `{"cpu": …}` line. With two
   * cores, a part can use at most twice its wall time.
   */
  cpuMeter(roots: Record<string, number>) {
    const t0 = performance.now();
    const before = cpuSeconds(roots);
    return (part: string, tools: Record<string, number> = {}): Record<string, number> => {
      const after = cpuSeconds(roots);
      const seconds: Record<string, number> = {};
      for (const key of Object.keys(roots)) seconds[key] = round((after[key] ?? 0) - (before[key] ?? 0), 1);
      for (const [key, value] of Object.entries(tools)) seconds[key] = round(value, 1);
      const line = { part, wallSeconds: round((performance.now() - t0) / 1000, 1), seconds };
      this.cpuLines.push(line);
      console.log(JSON.stringify({ cpu: line }));
      return seconds;
    };
  }

  /**
   * Reports what one unit of work (a webhook, an event) cost a part: CPU ms of
   * the process doing it (`worker`, a key of the CPU seconds), Postgres CPU ms
   * and WAL bytes.
   */
  cost(part: string, units: number, seconds: Record<string, number>, worker: string, walBytes: number, note: string) {
    const per = (value: number | undefined) => ((value ?? Number.NaN) * 1000) / units;
    this.add(`cost.${part}.worker_cpu_ms`, per(seconds[worker]), "ms", { note: `${note}: ${worker} CPU per unit, ${units} units` });
    this.add(`cost.${part}.postgres_cpu_ms`, per(seconds.postgres), "ms");
    this.add(`cost.${part}.wal_bytes`, walBytes / units, "B");
  }

  /** The table of every figure, their notes, the CPU seconds by part, and how long the run took. */
  printTable(started: number) {
    const rows = this.figures.map((f) => [
      f.figure,
      `${f.value} ${f.unit}`,
      f.target ? `${f.target.op} ${f.target.value}` : "",
      f.met === null ? "" : f.met ? "met" : "MISSED",
      f.reference ? `${f.reference.value} ${f.reference.unit}` : "",
      f.ratio === undefined ? "" : String(f.ratio),
    ]);
    const header = ["figure", "value", "target", "", "reference", "ratio"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join("  ").trimEnd();
    console.log("");
    console.log(line(header));
    console.log(line(widths.map((w) => "-".repeat(w))));
    for (const row of rows) console.log(line(row));
    for (const f of this.figures) if (f.note) console.log(`  ${f.figure}: ${f.note}`);
    if (this.cpuLines.length > 0) console.log("\nCPU seconds by process (2 cores: at most 2 × wall):");
    for (const c of this.cpuLines) {
      console.log(`  ${c.part}, ${c.wallSeconds} s wall: ${Object.entries(c.seconds).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    }
    console.log(`\n${this.smoke ? "smoke run (no targets)" : "full run"} finished in ${round((Date.now() - started) / 1000, 1)} s`);
  }
}
