/**
 * The bench's command line: its flags, the sizes of each part (full and
 * smoke), and which parts run.
 */
import { parseArgs } from "node:util";

export const PARTS = ["ingest", "lag", "replay", "queries"] as const;
export type Part = (typeof PARTS)[number];

export const SIZES = {
  accounts: { full: 5, smoke: 5 },
  chats: { full: 1000, smoke: 20 },
  "ingest-count": { full: 20000, smoke: 300 },
  concurrency: { full: 32, smoke: 8 },
  warmup: { full: 500, smoke: 20 },
  "lag-rate": { full: 1000, smoke: 100 },
  "lag-seconds": { full: 20, smoke: 2 },
  "lag-sample": { full: 10, smoke: 5 },
  events: { full: 1_000_000, smoke: 600 },
  conversations: { full: 100_000, smoke: 60 },
  big: { full: 10_000, smoke: 100 },
  "batch-size": { full: 2000, smoke: 2000 },
  "query-requests": { full: 1000, smoke: 20 },
  "query-seconds": { full: 30, smoke: 10 },
  deep: { full: 50_000, smoke: 30 },
  "message-deep": { full: 5000, smoke: 40 },
} as const;
export type SizeKey = keyof typeof SIZES;

export const USAGE = `usage: bun run bench [-- --smoke] [--only ingest,lag,replay,queries] [--<size> N]...

The service's benchmark on this machine (loopback only): a fresh embedded Postgres, the
sandbox and the service, each in its own process; figures as ratios to references run
side by side. --smoke: a few hundred events per part. Sizes: ${Object.keys(SIZES).join(", ")}.`;

export interface Options {
  /** A few hundred events per part, no targets. */
  smoke: boolean;
  parts: Set<Part>;
  keepTemp: boolean;
  /** At the end, with the service stopped: `bun run replay --verify` on the log the run wrote. */
  verify: boolean;
  /** Writes a CPU profile (markdown) of each service run into this folder, for analysis. */
  serviceCpuProf: string | undefined;
  /** Extra service environment for experiments, KEY=VALUE (repeatable), e.g. WEBHOOK_MAX_IN_FLIGHT=64. */
  serviceEnv: string[];
  /** A part's size: its flag, or the full or smoke default. */
  size(key: SizeKey): number;
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== "--"),
    options: {
      smoke: { type: "boolean", default: false },
      only: { type: "string" },
      "keep-temp": { type: "boolean", default: false },
      verify: { type: "boolean", default: false },
      "service-cpu-prof": { type: "string" },
      "service-env": { type: "string", multiple: true },
      ...Object.fromEntries(Object.keys(SIZES).map((key) => [key, { type: "string" as const }])),
    },
  });
  const smoke = values.smoke === true;
  const size = (key: SizeKey): number => {
    const given = (values as Record<string, unknown>)[key];
    const value = typeof given === "string" ? Number(given) : SIZES[key][smoke ? "smoke" : "full"];
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${key} must be a positive number`);
    return value;
  };
  const parts = new Set<Part>(values.only ? (values.only.split(",").map((p) => p.trim()) as Part[]) : PARTS);
  for (const part of parts) if (!PARTS.includes(part)) throw new Error(`--only: unknown part ${part} (known: ${PARTS.join(", ")})`);
  return {
    smoke,
    parts,
    keepTemp: values["keep-temp"] === true,
    verify: values.verify === true,
    serviceCpuProf: values["service-cpu-prof"],
    serviceEnv: values["service-env"] ?? [],
    size,
  };
}

/** Every size as this run uses it (for the run's first JSON line). */
export const allSizes = (options: Options) => Object.fromEntries(Object.keys(SIZES).map((k) => [k, options.size(k as SizeKey)]));
