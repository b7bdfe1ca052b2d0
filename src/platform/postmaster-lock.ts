/**
 * @module platform/postmaster-lock
 * The embedded Postgres's data folder before a start. Postgres refuses to
 * start while `postmaster.pid` names a live process ("lock file already
 * exists"). Two things leave one behind:
 * - a server that was killed: the file names a dead process (or, after a
 *   reboot, an unrelated one). It is stale and removed;
 * - a service killed with SIGKILL: its Postgres is not killed with it and
 *   runs on, orphaned. It is stopped (fast shutdown, then immediate) so the
 *   new service starts its own, with its own settings and a clear owner.
 * A Postgres whose parent is a running service (`src/main.ts`) is that
 * service's: start-up stops with an error rather than take it away.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

export type LockOutcome =
  | { kind: "none" }
  | { kind: "stale"; pid: number }
  | { kind: "orphan_stopped"; pid: number; how: "fast" | "immediate" };

export interface LockOptions {
  /** Absolute path of the data folder. */
  dir: string;
  /** How long a fast shutdown of an orphan may take before an immediate one. @default 15000 */
  fastShutdownMs?: number;
}

export class DataFolderInUseError extends Error {
  constructor(dir: string, pid: number, ownerPid: number) {
    super(`the embedded Postgres on ${dir} (pid ${pid}) belongs to a running service (pid ${ownerPid}); stop that service first`);
    this.name = "DataFolderInUseError";
  }
}

/** Clears the way for a start: removes a stale lock, stops an orphaned server. */
export async function releaseDataFolder(options: LockOptions): Promise<LockOutcome> {
  const pidFile = join(options.dir, "postmaster.pid");
  const pid = readLockPid(pidFile);
  if (pid === undefined) return { kind: "none" };
  if (!isPostmasterOf(pid, options.dir)) {
    rmSync(pidFile, { force: true });
    return { kind: "stale", pid };
  }
  const owner = parentOf(pid);
  // Our own pid as the parent: this process was re-executed (bun --watch) and the server is its former self's.
  if (owner !== undefined && owner > 1 && owner !== process.pid && /\bsrc\/main\.ts\b/.test(commandOf(owner) ?? "")) {
    throw new DataFolderInUseError(options.dir, pid, owner);
  }
  // SIGINT is Postgres's fast shutdown: sessions end, a checkpoint is written.
  signal(pid, "SIGINT");
  if (await gone(pid, options.fastShutdownMs ?? 15_000)) return { kind: "orphan_stopped", pid, how: "fast" };
  // SIGQUIT: immediate shutdown; the next start replays the WAL.
  signal(pid, "SIGQUIT");
  if (await gone(pid, 5_000)) return { kind: "orphan_stopped", pid, how: "immediate" };
  throw new Error(`could not stop the embedded Postgres left running on ${options.dir} (pid ${pid})`);
}

/** The pid on the first line of postmaster.pid, when there is a file and a pid. */
export function readLockPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  try {
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Running (an exited process its parent has not reaped yet does not count). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as { code?: string }).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** Alive, and a postgres process started on this data folder (not a reused pid). */
function isPostmasterOf(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  const command = commandOf(pid);
  // Unknown command line (no /proc, no ps): trust the lock file as Postgres would.
  if (command === undefined) return true;
  return /postgres/.test(command) && command.includes(dir);
}

/** The command line of a process: /proc on Linux, `ps` elsewhere. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    const ps = spawnSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8" });
    return ps.status === 0 ? ps.stdout.trim() : undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    const ps = spawnSync("ps", ["-o", "ppid=", "-p", String(pid)], { encoding: "utf8" });
    const ppid = Number(ps.stdout?.trim());
    return ps.status === 0 && Number.isInteger(ppid) ? ppid : undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** Resolves true once `pid` has exited, false after `ms`. */
export async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await Bun.sleep(50);
  }
  return true;
}
