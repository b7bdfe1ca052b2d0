/**
 * `bun run bench`: the service's benchmark, on this machine and loopback only.
 *
 *   bun run bench                         the full run (about 10 minutes)
 *   bun run bench -- --smoke              a few hundred events per part, no targets (the suite runs it)
 *   bun run bench -- --only ingest,lag    some parts (ingest, lag, replay, queries); memory is always reported
 *   bun run bench -- --events 200000 …    sizes: see SIZES below for every flag
 *   bun run bench -- --verify             at the end, `bun run replay --verify` on the bench's log
 *
 * It starts everything itself, each in its own process, as in production: a
 * fresh embedded Postgres (temporary data folder, free port), the Unipile
 * sandbox, and the service (`bun src/main.ts`, NODE_ENV=production, LOG_LEVEL=warn,
 * no sync or background jobs). Five WhatsApp accounts are linked through the
 * real API and the sandbox's QR scan; the sandbox seeds their chats. Load comes
 * from other processes (scripts/bench/load.ts, generate.ts, replay.ts).
 *
 * First the log is filled with generated message_received facts (COPY, not
 * measured: `--events` on `--conversations` chats, one of them `--big`), with
 * the service stopped, and every projection is rebuilt from it; so the live
 * parts meet a service with history, as in production.
 *
 * 1. ingest: distinct message_received webhooks POSTed at a fixed concurrency,
 *    and the time until the projections applied the last one ("caught up");
 *    references: a minimal receiver (scripts/bench/receiver.ts: Hono on Bun,
 *    secret check, JSON.parse, one INSERT per request) with the same bodies
 *    at the same concurrency, and the same bodies as one INSERT per statement
 *    without HTTP (the physical limit).
 * 2. lag: webhooks on an open-loop schedule; every Nth message is read back
 *    through GET /api/conversations/:id/messages until it shows; again at half
 *    the ingest capacity measured in 1.
 * 3. replay: the rebuild above, timed (every projection, as `bun run replay`);
 *    reference: a plain cursor scan of the log in the same order.
 * 4. queries: sequential GETs of the conversation list (first page, deep
 *    cursor) and the big conversation's messages (first page, deep cursor).
 * 5. memory: the service's RSS sampled throughout.
 *
 * Per webhook (per event for the replay), each part and reference: CPU of
 * the process doing the work, Postgres CPU (its process tree) and WAL bytes
 * (pg_current_wal_lsn before and after), as `cost.*` figures.
 *
 * Output: one JSON line per figure, then a table. Every process, the
 * Postgres server and the temporary folder are removed at the end, on
 * failure and on Ctrl-C.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { runMigrations } from "../../src/db/migrate";
import { signToken } from "../../src/http/auth";
import { answerHelp } from "../../src/platform/help";
import {
  type BenchChat,
  type BenchWorld,
  cpuSeconds,
  type Figure,
  figure,
  freePort,
  machineInfo,
  memorySampler,
  round,
  sleep,
  type Target,
} from "./common";
import { describeShares, resetStatements, topStatements, walByRelation, walLsn } from "./wal";

const ROOT = resolve(import.meta.dir, "../..");
const PARTS = ["ingest", "lag", "replay", "queries"] as const;
type Part = (typeof PARTS)[number];

const SIZES = {
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
type SizeKey = keyof typeof SIZES;

answerHelp(`usage: bun run bench [-- --smoke] [--only ingest,lag,replay,queries] [--<size> N]...

The service's benchmark on this machine (loopback only): a fresh embedded Postgres, the
sandbox and the service, each in its own process; figures as ratios to references run
side by side. --smoke: a few hundred events per part. Sizes: ${Object.keys(SIZES).join(", ")}.`);
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    "keep-temp": { type: "boolean", default: false },
    /** At the end, with the service stopped: `bun run replay --verify` on the log the run wrote. */
    verify: { type: "boolean", default: false },
    /** Writes a CPU profile (markdown) of each service run into this folder, for analysis. */
    "service-cpu-prof": { type: "string" },
    /** Extra service environment for experiments, KEY=VALUE (repeatable), e.g. WEBHOOK_MAX_IN_FLIGHT=64. */
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
const parts = new Set<Part>(
  values.only ? (values.only.split(",").map((p) => p.trim()) as Part[]) : PARTS,
);
for (const part of parts) if (!PARTS.includes(part)) throw new Error(`--only: unknown part ${part} (known: ${PARTS.join(", ")})`);
/** Targets apply to full runs only. */
const target = (op: Target["op"], value: number): Target | null => (smoke ? null : { op, value });

// ---------------------------------------------------------------- processes and clean-up

interface Child {
  name: string;
  proc: Bun.Subprocess;
  logFile?: string;
}

const children = new Set<Child>();
const temp = mkdtempSync(join(tmpdir(), "commsync-bench-"));
let cleaning: Promise<void> | null = null;

const bun = process.execPath;

function spawnDaemon(name: string, args: string[], env: Record<string, string>, stdin: "pipe" | "ignore" = "ignore"): Child {
  const logFile = join(temp, `${name}.log`);
  const fd = openSync(logFile, "a");
  const proc = Bun.spawn([bun, "--no-env-file", ...args], { cwd: ROOT, env, stdin, stdout: fd, stderr: fd });
  closeSync(fd);
  const child = { name, proc, logFile };
  children.add(child);
  void proc.exited.then(() => children.delete(child));
  return child;
}

async function stopChild(child: Child, timeoutMs = 20_000) {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill("SIGTERM");
  const exited = await Promise.race([child.proc.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
  if (!exited) {
    child.proc.kill("SIGKILL");
    await child.proc.exited;
  }
  children.delete(child);
}

function logTail(child: Child, lines = 30): string {
  if (!child.logFile || !existsSync(child.logFile)) return "";
  return readFileSync(child.logFile, "utf8").split("\n").slice(-lines).join("\n");
}

let lastToolCpuSeconds = 0;

/** Runs a tool process to its end; its last stdout line is `{"result": …, "cpuSeconds": …}`. */
async function runTool<T>(name: string, args: string[], env: Record<string, string> = baseEnv()): Promise<T> {
  const proc = Bun.spawn([bun, "--no-env-file", ...args], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const child: Child = { name, proc };
  children.add(child);
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  children.delete(child);
  const last = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !last.startsWith('{"result"')) throw new Error(`${name} failed (exit ${code}):\n${out.slice(-2000)}`);
  const parsed = JSON.parse(last) as { result: T; cpuSeconds: number };
  lastToolCpuSeconds = parsed.cpuSeconds;
  return parsed.result;
}

async function cleanup() {
  cleaning ??= (async () => {
    const all = [...children];
    const postgresHolder = all.filter((c) => c.name === "postgres");
    await Promise.all(all.filter((c) => c.name !== "postgres").map((c) => stopChild(c)));
    await Promise.all(postgresHolder.map((c) => stopChild(c, 30_000)));
    if (values["keep-temp"]) console.error(`bench: temporary folder kept: ${temp}`);
    else rmSync(temp, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`bench: ${signal}, stopping everything`);
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { TZ: "UTC", PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  return { ...env, ...extra };
}

async function waitFor<T>(what: string, child: Child | null, probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (child && child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}) before ${what}:\n${logTail(child)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${child ? `:\n${logTail(child)}` : ""}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------- the run

const runStarted = performance.now();
/** Progress on stderr (stdout carries the figures). */
const step = (what: string) => console.error(`bench: [${round((performance.now() - runStarted) / 1000, 1)} s] ${what}`);

const figures: Figure[] = [];
const problems: string[] = [];
const cpuLines: { part: string; wallSeconds: number; seconds: Record<string, number> }[] = [];

/**
 * CPU seconds each process tree used from now until the returned function is
 * called (tools report their own); printed as a `{"cpu": …}` line. With two
 * cores, a part can use at most twice its wall time.
 */
function cpuMeter(roots: Record<string, number>) {
  const t0 = performance.now();
  const before = cpuSeconds(roots);
  return (part: string, tools: Record<string, number> = {}): Record<string, number> => {
    const after = cpuSeconds(roots);
    const seconds: Record<string, number> = {};
    for (const key of Object.keys(roots)) seconds[key] = round((after[key] ?? 0) - (before[key] ?? 0), 1);
    for (const [key, value] of Object.entries(tools)) seconds[key] = round(value, 1);
    const line = { part, wallSeconds: round((performance.now() - t0) / 1000, 1), seconds };
    cpuLines.push(line);
    console.log(JSON.stringify({ cpu: line }));
    return seconds;
  };
}

/**
 * Reports what one unit of work (a webhook, an event) cost a part: CPU ms of
 * the process doing it (`worker`, a key of the CPU seconds), Postgres CPU ms
 * and WAL bytes.
 */
function reportCost(part: string, units: number, seconds: Record<string, number>, worker: string, walBytes: number, note: string) {
  const per = (value: number | undefined) => ((value ?? Number.NaN) * 1000) / units;
  report(figure(`cost.${part}.worker_cpu_ms`, per(seconds[worker]), "ms", null, { note: `${note}: ${worker} CPU per unit, ${units} units` }));
  report(figure(`cost.${part}.postgres_cpu_ms`, per(seconds.postgres), "ms", null));
  report(figure(`cost.${part}.wal_bytes`, walBytes / units, "B", null));
}
function report(f: Figure) {
  figures.push(f);
  console.log(JSON.stringify(f));
}

async function main() {
  const started = Date.now();
  const pgPort = freePort();
  const pg: Child = spawnDaemon("postgres", ["scripts/bench/postgres.ts", join(temp, "pg"), String(pgPort)], baseEnv(), "pipe");
  const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`;
  const probe = postgres(databaseUrl, { max: 1, connect_timeout: 2, onnotice: () => undefined });
  const [{ server_version: pgVersion } = { server_version: "?" }] = await waitFor("postgres", pg, () => probe<{ server_version: string }[]>`show server_version`, 120_000);
  await probe.end({ timeout: 2 });
  await runMigrations(databaseUrl);
  const pgStats = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  /** The server's WAL position in bytes. */
  const walPosition = async () => Number((await pgStats<{ b: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b`)[0]?.b);
  /**
   * Before each measured part: the previous part's tables vacuumed (or autovacuum would do it inside the
   * next part's window), and a checkpoint, so that every part starts with the same full-page-image debt
   * (the first change to a page after a checkpoint writes the whole page to the WAL).
   */
  const quiesce = async (...tables: string[]) => {
    for (const table of tables) await pgStats`vacuum (analyze) ${pgStats(table)}`.catch(() => undefined);
    await pgStats`checkpoint`;
  };
  step(`postgres ${pgVersion} up on port ${pgPort}`);

  console.log(
    JSON.stringify({
      run: {
        date: new Date().toISOString(),
        mode: smoke ? "smoke" : "full",
        parts: [...parts],
        machine: machineInfo(),
        postgres: pgVersion,
        sizes: Object.fromEntries(Object.keys(SIZES).map((k) => [k, size(k as SizeKey)])),
      },
    }),
  );

  const sandboxPort = freePort();
  const sandboxToken = randomBytes(18).toString("base64url");
  const sandbox = spawnDaemon("sandbox", ["scripts/sandbox.ts"], baseEnv({ SANDBOX_PORT: String(sandboxPort), SANDBOX_ACCESS_TOKEN: sandboxToken, LOG_LEVEL: "warn" }));
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandboxApi = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${sandboxUrl}${path}`, {
      method,
      headers: { "x-api-key": sandboxToken, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  await waitFor("the sandbox", sandbox, async () => (await fetch(`${sandboxUrl}/api/v1/accounts`, { headers: { "x-api-key": sandboxToken } })).ok || null);

  const servicePort = freePort();
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const jwtSecret = randomBytes(32).toString("base64url");
  const webhookSecret = randomBytes(24).toString("base64url");
  const serviceEnv = baseEnv({
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(servicePort),
    DATABASE_URL: databaseUrl,
    AUTH_JWT_SECRET: jwtSecret,
    UNIPILE_DSN: sandboxUrl,
    UNIPILE_ACCESS_TOKEN: sandboxToken,
    UNIPILE_WEBHOOK_SECRET: webhookSecret,
    PUBLIC_URL: serviceUrl,
    LOG_LEVEL: "warn",
    SYNC_ENABLED: "false",
    BACKGROUND_JOBS_ENABLED: "false",
    ...Object.fromEntries((values["service-env"] ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
  });
  const servicePeaks: { phase: string; peakMb: number }[] = [];
  let serviceRuns = 0;
  const startService = async () => {
    serviceRuns++;
    const profile = values["service-cpu-prof"]
      ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(values["service-cpu-prof"])}`, `--cpu-prof-name=service-${serviceRuns}.md`]
      : [];
    const service = spawnDaemon(`service-${serviceRuns}`, [...profile, "src/main.ts"], serviceEnv);
    const sampler = memorySampler(service.proc.pid, 100);
    await waitFor("the service", service, async () => (await fetch(`${serviceUrl}/ready`)).ok || null);
    return { service, sampler };
  };
  const phasePeak = (phase: string, sampler: ReturnType<typeof memorySampler>) => {
    servicePeaks.push({ phase, peakMb: round(sampler.peakMb, 1) });
  };

  let { service, sampler } = await startService();
  step("sandbox and service up");
  const userId = "bench-user";
  const token = await signToken(jwtSecret, { sub: userId, expiresIn: "12h" });
  const api = async <T>(method: string, path: string): Promise<T> => {
    const response = await fetch(`${serviceUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`service ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  // Five accounts, linked the way a user links them: connect, scan the QR, wait for "connected".
  const accountCount = size("accounts");
  const chatsPerAccount = Math.ceil(size("chats") / accountCount);
  const accounts: BenchWorld["accounts"] = [];
  const chats: BenchChat[] = [];
  for (let a = 0; a < accountCount; a++) {
    const phone = `3361000${String(a + 1).padStart(5, "0")}`;
    const connection = await api<{ accountId: string; accountIdentifier: string }>("POST", "/api/unipile/connect-whatsapp");
    await sandboxApi("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, { phone_number: phone, name: `Bench ${a + 1}` });
    const seeded = await sandboxApi<{ chat_ids: string[] }>("POST", `/sandbox/accounts/${connection.accountIdentifier}/history`, { chats: chatsPerAccount, messages_per_chat: 0 });
    for (const chatId of seeded.chat_ids) {
      const chat = await sandboxApi<{ provider_id: string; type: number; name: string | null }>("GET", `/api/v1/chats/${chatId}`);
      const members = await sandboxApi<{ items: { id: string; provider_id: string; name: string; is_self: number }[] }>("GET", `/api/v1/chats/${chatId}/attendees`);
      const contact = members.items.find((m) => !m.is_self);
      if (!contact) throw new Error(`sandbox chat ${chatId} has no contact`);
      chats.push({
        unipileAccountId: connection.accountIdentifier,
        accountPhone: phone,
        chatId,
        providerChatId: chat.provider_id,
        isGroup: chat.type === 1,
        subject: chat.type === 1 ? chat.name : null,
        contact: { attendeeId: contact.id, name: contact.name, phone: contact.provider_id.replace(/@.*$/, "") },
      });
    }
    accounts.push({ accountId: connection.accountId, unipileAccountId: connection.accountIdentifier, phone });
  }
  for (const account of accounts) {
    await waitFor(`account ${account.accountId} connected`, service, async () => {
      const status = await api<{ status: string }>("GET", `/api/unipile/check-status?accountId=${account.accountId}`);
      return status.status === "connected" ? true : null;
    });
  }
  step(`${accountCount} accounts connected, ${chats.length} chats seeded`);
  const world: BenchWorld = { serviceUrl, sandboxUrl, sandboxToken, databaseUrl, webhookSecret, token, userId, accounts, chats: chats.slice(0, size("chats")) };
  const worldFile = join(temp, "world.json");
  writeFileSync(worldFile, JSON.stringify(world));
  const runId = randomBytes(4).toString("hex");

  /** Waits until the service's projections have applied everything (and its lookups have settled). */
  const settle = async () => {
    await waitFor("the projections to catch up", service, async () => {
      const ready = (await (await fetch(`${serviceUrl}/ready`)).json()) as { projections: { lagEvents: number }[] };
      return ready.projections.every((p) => p.lagEvents === 0) ? true : null;
    }, 300_000);
    await sleep(smoke ? 200 : 2000);
  };

  let bigChatId = "";
  let bigMessages = 0;
  // The log is filled first (COPY, not measured), so that every live part meets a service with history,
  // as in production: a fresh, nearly empty log has no statistics and its plans differ. The service is
  // stopped meanwhile, or its runner would project the generated log itself; the replay builds the tables.
  sampler.stop();
  phasePeak("setup", sampler);
  await stopChild(service);
  {
    step("filling the log");
    const generated = await runTool<{ bigChatId: string; events: number; conversations: number; bigMessages: number; seconds: number }>("generate", [
      "scripts/bench/generate.ts", worldFile,
      "--events", String(size("events")), "--conversations", String(size("conversations")), "--big", String(size("big")), "--run", runId,
    ]);
    bigChatId = generated.bigChatId;
    bigMessages = generated.bigMessages;
    step(`generated ${generated.events} events on ${generated.conversations} chats in ${round(generated.seconds, 1)} s`);

    const replayArgs = ["scripts/bench/replay.ts", databaseUrl, "--batch-size", String(size("batch-size")), ...(parts.has("replay") ? [] : ["--skip-reference"])];
    interface Replay {
      logEvents: number;
      reference: { events: number; seconds: number; perSecond: number } | null;
      replay: { seconds: number; perSecond: number; projections: { name: string; events: number; seconds: number }[] };
      memory: { rssBeforeMb: number; peakMb: number; milestones: { fraction: number; events: number; rssMb: number }[] };
    }
    step(parts.has("replay") ? "replay" : "rebuilding the projections (not measured)");
    const cpu = cpuMeter({ postgres: pg.proc.pid });
    const walBefore = await walPosition();
    const r = await runTool<Replay>("replay", replayArgs);
    const replayCpu = cpu("replay (reference scan and rebuild)", { replay: lastToolCpuSeconds });
    if (parts.has("replay")) reportCost("replay", r.logEvents, replayCpu, "replay", (await walPosition()) - walBefore, "reference scan and rebuild, per event of the log");
    if (parts.has("replay") && r.reference) {
      const perProjection = r.replay.projections.map((p) => `${p.name} ${p.events} events in ${round(p.seconds, 1)} s`).join(", ");
      report(figure("replay.events_per_s", r.replay.perSecond, "events/s", target(">=", 50_000), {
        reference: { figure: "replay.reference.scan_events_per_s", value: round(r.reference.perSecond), unit: "events/s" },
        ratio: r.replay.perSecond / r.reference.perSecond,
        note: `${r.logEvents} events in the log, rebuilt in ${round(r.replay.seconds, 1)} s (${perProjection}); batch ${size("batch-size")}`,
      }));
      report(figure("replay.peak_rss_mb", r.memory.peakMb, "MB", null, { note: `replay process VmHWM; ${round(r.memory.rssBeforeMb)} MB before the rebuild` }));
      const first = r.memory.milestones[0];
      const last = r.memory.milestones[r.memory.milestones.length - 1];
      const growth = first && last ? (last.rssMb / first.rssMb - 1) * 100 : Number.NaN;
      const points = r.memory.milestones.map((m) => `${Math.round((m.fraction - 0.25) * 100)}-${Math.round(m.fraction * 100)}%: ${round(m.rssMb)} MB`).join(", ");
      report(figure("replay.rss_growth_pct", growth, "%", target("<=", 20), { note: `peak RSS per quarter of the log (last vs first): ${points}` }));
    }
  }

  ({ service, sampler } = await startService());
  step("service restarted on the filled log");

  const roots = () => ({ service: service.proc.pid, postgres: pg.proc.pid, sandbox: sandbox.proc.pid });
  let ingestCapacity: number | null = null;
  if (parts.has("ingest")) {
    interface Side { p50: number; p99: number; perSecond: number; accepted: number; errors: number; seconds: number }
    const args = (mode: string, ...extra: string[]) => [
      "scripts/bench/load.ts", mode, worldFile,
      "--count", String(size("ingest-count")), "--concurrency", String(size("concurrency")), "--warmup", String(size("warmup")),
      "--run", runId, "--now", String(Date.now()), ...extra,
    ];
    const webhooks = size("ingest-count") + size("warmup");
    const costNote = (what: string) => `${what}, warm-up included`;
    step("ingest: the physical limit (one INSERT per payload, no HTTP)");
    await quiesce();
    let cpu = cpuMeter(roots());
    let wal = await walPosition();
    const raw = await runTool<Side & { rows: number; bodyBytes: number }>("load-ingest-reference", args("ingest-reference"));
    reportCost("ingest.raw_insert", webhooks, cpu("ingest raw INSERT (warm-up included)", { load: lastToolCpuSeconds }), "load", (await walPosition()) - wal, costNote("the load process issuing the INSERTs"));

    step("ingest: the minimal receiver (Hono, secret, JSON.parse, one INSERT per request)");
    const receiverPort = freePort();
    const receiver = spawnDaemon("receiver", ["scripts/bench/receiver.ts", databaseUrl, String(receiverPort), String(size("concurrency"))], baseEnv({ UNIPILE_WEBHOOK_SECRET: webhookSecret }));
    await waitFor("the minimal receiver", receiver, async () => (await fetch(`http://127.0.0.1:${receiverPort}/`)).status === 404 || null);
    await quiesce("bench_ref");
    cpu = cpuMeter({ ...roots(), receiver: receiver.proc.pid });
    wal = await walPosition();
    const minimal = await runTool<Side>("load-ingest-receiver", args("ingest-receiver", "--url", `http://127.0.0.1:${receiverPort}`));
    reportCost("ingest.receiver", webhooks, cpu("ingest minimal receiver (warm-up included)", { load: lastToolCpuSeconds }), "receiver", (await walPosition()) - wal, costNote("the receiver process"));
    await stopChild(receiver);

    step("ingest: the service");
    await quiesce("bench_receiver");
    cpu = cpuMeter(roots());
    wal = await walPosition();
    const walFrom = await walLsn(pgStats);
    await resetStatements(pgStats);
    const service = await runTool<Side & { caughtUpSeconds: number; caughtUpPerSecond: number }>("load-ingest-service", args("ingest-service"));
    const serviceCpu = cpu("ingest service until caught up (warm-up included)", { load: lastToolCpuSeconds });
    const walTo = await walLsn(pgStats);
    const serviceWal = (await walPosition()) - wal;
    // The breakdowns are read after the measurement: reading the WAL back costs Postgres seconds.
    const statements = await topStatements(pgStats, webhooks);
    const shares = describeShares(await walByRelation(pgStats, walFrom, walTo), webhooks);
    reportCost("ingest.service", webhooks, serviceCpu, "service", serviceWal, `${costNote("the service, until its projections caught up")}; WAL per webhook by relation: ${shares}; Postgres time by statement: ${statements}`);
    ingestCapacity = service.perSecond;
    if (service.errors > 0) problems.push(`ingest: ${service.errors} webhooks were not answered 200`);
    if (minimal.errors > 0) problems.push(`ingest: ${minimal.errors} webhooks were not answered 200 by the minimal receiver`);
    if (raw.errors > 0) problems.push(`ingest: ${raw.errors} reference inserts failed`);
    const ref = (name: string, value: number, unit: string) => ({ figure: `ingest.${name}`, value: round(value), unit });
    const note = `${size("ingest-count")} webhooks of ${Math.round(raw.bodyBytes)} bytes, concurrency ${size("concurrency")}, ${size("chats")} chats on ${accountCount} accounts`;
    report(figure("ingest.accepted_per_s", service.perSecond, "webhooks/s", null, { reference: ref("receiver.accepted_per_s", minimal.perSecond, "webhooks/s"), ratio: service.perSecond / minimal.perSecond, note }));
    report(figure("ingest.ratio", service.perSecond / minimal.perSecond, "x", target(">=", 1.0), { note: "accepted webhooks/s ÷ the minimal receiver's" }));
    report(figure("ingest.caught_up_per_s", service.caughtUpPerSecond, "webhooks/s", null, {
      reference: ref("receiver.accepted_per_s", minimal.perSecond, "webhooks/s"), ratio: service.caughtUpPerSecond / minimal.perSecond,
      note: `webhooks ÷ seconds from the first until every projection applied the last (${round(service.caughtUpSeconds, 1)} s)`,
    }));
    report(figure("ingest.caught_up_ratio", service.caughtUpPerSecond / minimal.perSecond, "x", target(">=", 1.0)));
    report(figure("ingest.raw_insert_per_s", raw.perSecond, "inserts/s", null, { ratio: service.perSecond / raw.perSecond, note: "the physical limit: the same bodies, one INSERT per statement, no HTTP; ratio: the service's accepted/s to it" }));
    report(figure("ingest.p50_ms", service.p50, "ms", null, { reference: ref("receiver.p50_ms", minimal.p50, "ms"), ratio: service.p50 / minimal.p50 }));
    report(figure("ingest.p99_ms", service.p99, "ms", null, { reference: ref("receiver.p99_ms", minimal.p99, "ms"), ratio: service.p99 / minimal.p99 }));
    report(figure("ingest.p99_ratio", service.p99 / minimal.p99, "x", target("<=", 2.0), { note: `service p99 ÷ the minimal receiver's; raw INSERT p99 ${round(raw.p99)} ms` }));
    cpu = cpuMeter(roots());
    await settle();
    cpu("ingest: projections settling after the load");
    phasePeak("ingest", sampler);
  }

  if (parts.has("lag")) {
    interface Summary { p50: number; p99: number; count: number; max: number }
    interface Lag { achievedRate: number; total: number; errors: number; notVisible: number; sampleEvery: number; lag: Summary; webhook: Summary; scheduleDelay: Summary }
    const lagRun = async (label: string, rate: number, seconds: number, run: string) => {
      step(`lag at ${rate}/s for ${seconds} s`);
      await quiesce("events", "messages", "conversations");
      const cpu = cpuMeter(roots());
      const wal = await walPosition();
      const r = await runTool<Lag>("load-lag", [
        "scripts/bench/load.ts", "lag", worldFile,
        "--rate", String(rate), "--seconds", String(seconds), "--sample", String(size("lag-sample")), "--run", run,
      ]);
      const cpuSpent = cpu(`lag ${label}`, { load: lastToolCpuSeconds });
      const walBytes = (await walPosition()) - wal;
      if (r.errors > 0) problems.push(`lag: ${r.errors} webhooks were not answered 200`);
      // Overloaded (full runs), messages may take longer than the 10 s the sampler waits: a measurement, not a failure.
      if (r.notVisible > 0 && smoke) problems.push(`lag: ${r.notVisible} sampled messages never showed within 10 s`);
      await settle();
      const note = `${r.total} webhooks at ${round(r.achievedRate)}/s scheduled (open loop), every ${r.sampleEvery}th read back (${r.lag.count} samples${r.notVisible ? `, ${r.notVisible} not visible within 10 s` : ""}); webhook answers p50 ${round(r.webhook.p50)} ms, p99 ${round(r.webhook.p99)} ms from their scheduled times; lag max ${round(r.lag.max)} ms`;
      return { r, note, cpuSpent, walBytes };
    };
    const { r, note, cpuSpent, walBytes } = await lagRun(`at ${size("lag-rate")}/s`, size("lag-rate"), size("lag-seconds"), `${runId}:lag`);
    reportCost("lag", r.total, cpuSpent, "service", walBytes, `at ${size("lag-rate")}/s, every ${r.sampleEvery}th read back`);
    report(figure("lag.p50_ms", r.lag.p50, "ms", null, { note }));
    report(figure("lag.p99_ms", r.lag.p99, "ms", target("<=", 100)));
    report(figure("lag.webhook_p99_ms", r.webhook.p99, "ms", null, { note: `webhook answer from its scheduled time at ${size("lag-rate")}/s (open loop: a queue shows here)` }));
    if (ingestCapacity !== null) {
      // The same at half the ingest capacity measured above: the projection's own lag, without an ingest queue.
      const rate = Math.max(1, Math.round(Math.min(size("lag-rate"), ingestCapacity / 2)));
      const half = await lagRun(`at half the ingest capacity (${rate}/s)`, rate, Math.max(1, Math.round(size("lag-seconds") / 2)), `${runId}:lag-half`);
      report(figure("lag.half_capacity.p50_ms", half.r.lag.p50, "ms", null, { note: half.note }));
      report(figure("lag.half_capacity.p99_ms", half.r.lag.p99, "ms", null));
    }
    phasePeak("lag", sampler);
  }

  if (parts.has("queries")) {
    step("queries");
    const cpu = cpuMeter(roots());
    interface Summary { p50: number; p99: number; count: number }
    const q = await runTool<{ walkSeconds: number; conversationsFirst: Summary; conversationsDeep: Summary; messagesFirst: Summary; messagesDeep: Summary }>("load-queries", [
      "scripts/bench/load.ts", "queries", worldFile,
      "--requests", String(size("query-requests")), "--max-seconds", String(size("query-seconds")), "--deep", String(size("deep")), `--big-chat=${bigChatId}`, "--message-deep", String(size("message-deep")),
    ]);
    cpu("queries (warm-ups included)", { load: lastToolCpuSeconds });
    const conversations = size("conversations") + size("chats");
    const lists: [string, Summary, string][] = [
      ["conversations_first", q.conversationsFirst, `GET /api/conversations (50 of ${conversations} conversations)`],
      ["conversations_deep", q.conversationsDeep, `the same after a cursor ${size("deep")} rows deep (made with encodeCursor from the row at that depth)`],
      ["messages_first", q.messagesFirst, `GET /api/conversations/:id/messages of a ${bigMessages}-message conversation`],
      ["messages_deep", q.messagesDeep, `the same after a cursor ${size("message-deep")} messages deep`],
    ];
    for (const [name, s, note] of lists) {
      report(figure(`queries.${name}.p50_ms`, s.p50, "ms", null, { note: `${note}; ${s.count} sequential requests (at most ${size("query-requests")} or ${size("query-seconds")} s)` }));
      report(figure(`queries.${name}.p99_ms`, s.p99, "ms", target("<=", 10)));
    }
    phasePeak("queries", sampler);
  }

  sampler.stop();
  await stopChild(service);
  const peak = Math.max(...servicePeaks.map((p) => p.peakMb), sampler.peakMb);
  report(figure("memory.service_peak_rss_mb", peak, "MB", target("<=", 250), {
    note: `sampled every 100 ms and VmHWM; cumulative per phase: ${servicePeaks.map((p) => `${p.phase} ${p.peakMb} MB`).join(", ")}${serviceRuns > 1 ? " (the service was restarted once the log was filled)" : ""}`,
  }));

  if (values.verify) await verifyReplay(databaseUrl);
  await pgStats.end({ timeout: 2 });
  printTable(started);
}

/** `bun run replay --verify` on the bench's log: every projection rebuilt equals the live tables. */
async function verifyReplay(databaseUrl: string) {
  step("replay --verify on the bench's log");
  const proc = Bun.spawn([bun, "--no-env-file", "scripts/replay.ts", "--verify"], { cwd: ROOT, env: baseEnv({ DATABASE_URL: databaseUrl }), stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const child: Child = { name: "replay-verify", proc };
  children.add(child);
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  children.delete(child);
  const lines = out.trim().split("\n").filter((l) => !l.startsWith("  "));
  console.log(JSON.stringify({ verify: { exitCode: code, lines } }));
  if (code !== 0) problems.push(`replay --verify found differences (exit ${code}):\n${out.slice(-3000)}`);
}

function printTable(started: number) {
  const rows = figures.map((f) => [
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
  for (const f of figures) if (f.note) console.log(`  ${f.figure}: ${f.note}`);
  if (cpuLines.length > 0) console.log("\nCPU seconds by process (2 cores: at most 2 × wall):");
  for (const c of cpuLines) {
    console.log(`  ${c.part}, ${c.wallSeconds} s wall: ${Object.entries(c.seconds).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
  console.log(`\n${smoke ? "smoke run (no targets)" : "full run"} finished in ${round((Date.now() - started) / 1000, 1)} s`);
}

let exitCode = 0;
try {
  await main();
  if (problems.length > 0) {
    console.error(`bench: problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    exitCode = 1;
  }
} catch (error) {
  console.error("bench failed:", error instanceof Error ? (error.stack ?? error.message) : error);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
