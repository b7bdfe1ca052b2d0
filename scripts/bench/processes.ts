/**
 * The bench's processes: each one it starts (Postgres, the sandbox, the
 * service, the minimal receiver, the load tools) is spawned with `bun
 * --no-env-file` from the repository root, logged into the run's temporary
 * folder, and stopped at the end, on failure and on Ctrl-C (Postgres last),
 * the folder then removed.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { runMigrations } from "../../src/db/migrate";
import { freePort, memorySampler, sleep } from "./common";
import type { Options } from "./options";

const ROOT = resolve(import.meta.dir, "../..");
const bun = process.execPath;

export interface Child {
  name: string;
  proc: Bun.Subprocess;
  logFile?: string;
}

/** What a tool process printed as its last stdout line: its result and its own CPU seconds. */
export interface ToolRun<T> {
  result: T;
  cpuSeconds: number;
}

/** The environment every child starts from (nothing of the bench's own). */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { TZ: "UTC", PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  return { ...env, ...extra };
}

export class Processes {
  readonly temp = mkdtempSync(join(tmpdir(), "commsync-bench-"));
  private readonly children = new Set<Child>();
  private cleaning: Promise<void> | null = null;

  constructor(private readonly keepTemp: boolean) {}

  /** A long-running process, its output in `<temp>/<name>.log`. */
  spawnDaemon(name: string, args: string[], env: Record<string, string>, stdin: "pipe" | "ignore" = "ignore"): Child {
    const logFile = join(this.temp, `${name}.log`);
    const fd = openSync(logFile, "a");
    const proc = Bun.spawn([bun, "--no-env-file", ...args], { cwd: ROOT, env, stdin, stdout: fd, stderr: fd });
    closeSync(fd);
    const child = { name, proc, logFile };
    this.children.add(child);
    void proc.exited.then(() => this.children.delete(child));
    return child;
  }

  async stopChild(child: Child, timeoutMs = 20_000) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    child.proc.kill("SIGTERM");
    const exited = await Promise.race([child.proc.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!exited) {
      child.proc.kill("SIGKILL");
      await child.proc.exited;
    }
    this.children.delete(child);
  }

  /** Runs a process to its end (stderr passed through); its stdout and exit code. */
  async runToEnd(name: string, args: string[], env: Record<string, string>): Promise<{ out: string; code: number }> {
    const proc = Bun.spawn([bun, "--no-env-file", ...args], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "inherit" });
    const child: Child = { name, proc };
    this.children.add(child);
    const out = await new Response(proc.stdout).text();
    const code = await proc.exited;
    this.children.delete(child);
    return { out, code };
  }

  /** Runs a tool process to its end; its last stdout line is `{"result": …, "cpuSeconds": …}`. */
  async runTool<T>(name: string, args: string[], env: Record<string, string> = baseEnv()): Promise<ToolRun<T>> {
    const { out, code } = await this.runToEnd(name, args, env);
    const last = out.trim().split("\n").pop() ?? "";
    if (code !== 0 || !last.startsWith('{"result"')) throw new Error(`${name} failed (exit ${code}):\n${out.slice(-2000)}`);
    return JSON.parse(last) as ToolRun<T>;
  }

  /** Stops every process (Postgres last) and removes the temporary folder; once, however often called. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      const all = [...this.children];
      const postgresHolder = all.filter((c) => c.name === "postgres");
      await Promise.all(all.filter((c) => c.name !== "postgres").map((c) => this.stopChild(c)));
      await Promise.all(postgresHolder.map((c) => this.stopChild(c, 30_000)));
      if (this.keepTemp) console.error(`bench: temporary folder kept: ${this.temp}`);
      else rmSync(this.temp, { recursive: true, force: true });
    })();
    return this.cleaning;
  }

  /** Ctrl-C and SIGTERM stop everything before the bench exits. */
  cleanupOnSignals() {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        console.error(`bench: ${signal}, stopping everything`);
        void this.cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
      });
    }
  }
}

function logTail(child: Child, lines = 30): string {
  if (!child.logFile || !existsSync(child.logFile)) return "";
  return readFileSync(child.logFile, "utf8").split("\n").slice(-lines).join("\n");
}

/** Polls `probe` until it gives a value; fails early when `child` exits, with the end of its log. */
export async function waitFor<T>(what: string, child: Child | null, probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (child && child.proc.exitCode !== null) throw new Error(`${child.name} exited (${child.proc.exitCode}) before ${what}:\n${logTail(child)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${child ? `:\n${logTail(child)}` : ""}`);
    await sleep(100);
  }
}

/** The bench's own embedded Postgres (in a process of its own), migrated, with a connection for measurements. */
export interface Database {
  child: Child;
  url: string;
  port: number;
  version: string;
  /** One connection for the bench's own statements (WAL positions, vacuum, statistics). */
  stats: postgres.Sql;
  /** The server's WAL position in bytes. */
  walPosition(): Promise<number>;
  /**
   * Before each measured part: the previous part's tables vacuumed (or autovacuum would do it inside the
   * next part's window), and a checkpoint, so that every part starts with the same full-page-image debt
   * (the first change to a page after a checkpoint writes the whole page to the WAL).
   */
  quiesce(...tables: string[]): Promise<void>;
}

export async function startPostgres(processes: Processes): Promise<Database> {
  const port = freePort();
  const child = processes.spawnDaemon("postgres", ["scripts/bench/postgres.ts", join(processes.temp, "pg"), String(port)], baseEnv(), "pipe");
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const probe = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => undefined });
  const [{ server_version: version } = { server_version: "?" }] = await waitFor("postgres", child, () => probe<{ server_version: string }[]>`show server_version`, 120_000);
  await probe.end({ timeout: 2 });
  await runMigrations(url);
  const stats = postgres(url, { max: 1, onnotice: () => undefined });
  return {
    child,
    url,
    port,
    version,
    stats,
    walPosition: async () => Number((await stats<{ b: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b`)[0]?.b),
    quiesce: async (...tables: string[]) => {
      for (const table of tables) await stats`vacuum (analyze) ${stats(table)}`.catch(() => undefined);
      await stats`checkpoint`;
    },
  };
}

/** The Unipile sandbox, and a client of its API. */
export interface Sandbox {
  child: Child;
  url: string;
  token: string;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export async function startSandbox(processes: Processes): Promise<Sandbox> {
  const port = freePort();
  const token = randomBytes(18).toString("base64url");
  const child = processes.spawnDaemon("sandbox", ["scripts/sandbox.ts"], baseEnv({ SANDBOX_PORT: String(port), SANDBOX_ACCESS_TOKEN: token, LOG_LEVEL: "warn" }));
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { "x-api-key": token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  await waitFor("the sandbox", child, async () => (await fetch(`${url}/api/v1/accounts`, { headers: { "x-api-key": token } })).ok || null);
  return { child, url, token, api };
}

/** The service as in production (`bun src/main.ts`, NODE_ENV=production, no sync or background jobs), its memory sampled. */
export class Service {
  readonly url: string;
  readonly jwtSecret = randomBytes(32).toString("base64url");
  readonly webhookSecret = randomBytes(24).toString("base64url");
  /** How many times it was started. */
  runs = 0;
  private running: { child: Child; sampler: ReturnType<typeof memorySampler> } | null = null;
  private readonly env: Record<string, string>;

  constructor(
    private readonly processes: Processes,
    database: Database,
    sandbox: Sandbox,
    private readonly options: Pick<Options, "serviceCpuProf" | "serviceEnv" | "smoke">,
  ) {
    const port = freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.env = baseEnv({
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: database.url,
      AUTH_JWT_SECRET: this.jwtSecret,
      UNIPILE_DSN: sandbox.url,
      UNIPILE_ACCESS_TOKEN: sandbox.token,
      UNIPILE_WEBHOOK_SECRET: this.webhookSecret,
      PUBLIC_URL: this.url,
      LOG_LEVEL: "warn",
      SYNC_ENABLED: "false",
      BACKGROUND_JOBS_ENABLED: "false",
      // One user reads as fast as it can (queries, lag read-backs): the bench measures the pipeline, not the limiter.
      RATE_LIMIT_ENABLED: "false",
      API_MAX_IN_FLIGHT_PER_CALLER: "100000",
      ...Object.fromEntries(options.serviceEnv.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
    });
  }

  /** Starts it (its RSS sampled every 100 ms from the start) and waits until it is ready. */
  async start() {
    this.runs++;
    const profileDir = this.options.serviceCpuProf;
    const profile = profileDir ? ["--cpu-prof-md", `--cpu-prof-dir=${resolve(profileDir)}`, `--cpu-prof-name=service-${this.runs}.md`] : [];
    const child = this.processes.spawnDaemon(`service-${this.runs}`, [...profile, "src/main.ts"], this.env);
    this.running = { child, sampler: memorySampler(child.proc.pid, 100) };
    await waitFor("the service", child, async () => (await fetch(`${this.url}/ready`)).ok || null);
  }

  private get current() {
    if (!this.running) throw new Error("the service is not running");
    return this.running;
  }

  get child(): Child {
    return this.current.child;
  }

  /** The RSS sampler of the current run (its peak so far). */
  get sampler(): ReturnType<typeof memorySampler> {
    return this.current.sampler;
  }

  /** Takes a last memory sample, then stops the process. */
  async stop() {
    this.sampler.stop();
    await this.processes.stopChild(this.child);
  }

  /** Waits until the service's projections have applied everything (and its lookups have settled). */
  async settle() {
    await waitFor("the projections to catch up", this.child, async () => {
      const ready = (await (await fetch(`${this.url}/ready`)).json()) as { projections: { lagEvents: number }[] };
      return ready.projections.every((p) => p.lagEvents === 0) ? true : null;
    }, 300_000);
    await sleep(this.options.smoke ? 200 : 2000);
  }
}
