/**
 * Helpers of the end-to-end tests: free ports, the service as a child
 * process with its output collected, waiting for conditions, the processes
 * of an embedded Postgres, and what a test file started (stopped and removed
 * after it by `cleanUp`).
 */
import { LOOSE_LIMITS } from "../support/loose-limits";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const STOP_DEADLINE_MS = 15_000;
// --no-env-file: a developer's .env (gitignored) must not configure the child.
export const SERVICE_COMMAND = [process.execPath, "--no-env-file", "src/main.ts"];

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export function canConnect(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const finish = (result: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => undefined);
      socket.destroy();
      done(result);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/** True when the port can be bound on every interface (and nothing answers on loopback). */
export async function isFree(port: number): Promise<boolean> {
  try {
    const listener = Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } });
    listener.stop(true);
  } catch {
    return false;
  }
  return !(await canConnect(port, 500));
}

/** Distinct random free ports in 40000-49999. */
export async function freePorts(count: number, taken: Set<number> = new Set()): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 500) throw new Error("could not find free ports in 40000-49999");
    const port = 40000 + Math.floor(Math.random() * 10000);
    if (taken.has(port) || ports.includes(port)) continue;
    if (await isFree(port)) ports.push(port);
  }
  for (const port of ports) taken.add(port);
  return ports;
}

/** The parent's environment minus everything that would configure the service. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key === "DATABASE_URL" || key.startsWith("UNIPILE_") || key.startsWith("AUTH_") || key.startsWith("SANDBOX_")) continue;
    if (key.startsWith("EMBEDDED_POSTGRES_") || key === "PUBLIC_URL" || key === "HOST" || key === "PORT") continue;
    env[key] = value;
  }
  return env;
}

/**
 * A development-mode service on loopback ports of its own: the embedded
 * Postgres and the sandbox on the given ports, their data (and the
 * development secret) under `dataDir`.
 */
export function developmentEnv(ports: { port: number; sandboxPort: number; postgresPort: number }, postgresDir: string, secretDir = postgresDir): Record<string, string> {
  return {
    ...baseEnv(),
    ...LOOSE_LIMITS,
    NODE_ENV: "development",
    LOG_LEVEL: "info",
    HOST: "127.0.0.1",
    PORT: String(ports.port),
    SANDBOX_PORT: String(ports.sandboxPort),
    EMBEDDED_POSTGRES_PORT: String(ports.postgresPort),
    EMBEDDED_POSTGRES_DIR: postgresDir,
    AUTH_DEV_SECRET_FILE: join(secretDir, "dev-auth-secret"),
    SANDBOX_STATE_FILE: join(secretDir, "sandbox.json"),
    UNIPILE_WEBHOOK_SECRET_FILE: join(secretDir, "dev-webhook-secret"),
  };
}

/** A running child with its stdout and stderr collected as they arrive. */
export interface Child {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once both output streams are closed. */
  drained: Promise<void>;
  exitCode: () => number | null;
}

export function spawnService(env: Record<string, string>, command = SERVICE_COMMAND): Child {
  const proc = Bun.spawn(command, {
    cwd: ROOT,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = { stdout: "", stderr: "" };
  const collect = async (stream: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out[key] += decoder.decode(chunk, { stream: true });
    out[key] += decoder.decode();
  };
  const drained = Promise.all([collect(proc.stdout, "stdout"), collect(proc.stderr, "stderr")]).then(() => undefined);
  return { proc, stdout: () => out.stdout, stderr: () => out.stderr, drained, exitCode: () => proc.exitCode };
}

/** Resolves with the exit code, or null when the process is still running after `ms`. */
export async function exitWithin(child: Child, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((done) => {
    timer = setTimeout(() => done(null), ms);
  });
  try {
    return await Promise.race([child.proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeOutput(child: Child): string {
  const tail = (text: string) => text.split("\n").slice(-40).join("\n");
  return `exit code: ${child.exitCode()}\n--- stdout (tail) ---\n${tail(child.stdout())}\n--- stderr (tail) ---\n${tail(child.stderr())}`;
}

/** Polls `check` until it returns a value, the deadline passes, or the child exits. */
export async function waitFor<T>(what: string, child: Child, deadline: number, check: () => Promise<T | undefined>): Promise<T> {
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode() !== null) throw new Error(`the service exited while waiting for ${what}\n${describeOutput(child)}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = String(error);
    }
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (${last})\n${describeOutput(child)}`);
}

export async function getStatus(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  await response.arrayBuffer();
  return response.status;
}

/** The cmdline of every process, by pid. */
export function processes(): { pid: number; ppid: number; cmdline: string }[] {
  const found: { pid: number; ppid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      found.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // The process ended while being read.
    }
  }
  return found;
}

/** Postgres processes of one data folder: the postmaster (by -D) and its children. */
export function postgresProcessesOf(dataDir: string, postmasterPid?: number) {
  const all = processes();
  const postmasters = new Set(all.filter((p) => p.cmdline.includes(dataDir) && /postgres/.test(p.cmdline)).map((p) => p.pid));
  if (postmasterPid) postmasters.add(postmasterPid);
  return all.filter((p) => postmasters.has(p.pid) || (postmasters.has(p.ppid) && /postgres/.test(p.cmdline)));
}

export function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Running: signalable and not a zombie (an orphan whose new parent has not reaped it yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** What one test file started: stopped and removed by `cleanUp` (its afterAll). */
export function createResources() {
  const takenPorts = new Set<number>();
  const tempDirs: string[] = [];
  const children: Child[] = [];
  /** Postmasters seen while running, stopped by pid if a test left one. */
  const postmasterPids = new Set<number>();
  return {
    takenPorts,
    postmasterPids,
    ports: (count: number) => freePorts(count, takenPorts),
    newTempDir(): string {
      const dir = join(ROOT, ".data", `e2e-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`);
      tempDirs.push(dir);
      return dir;
    },
    track(child: Child): Child {
      children.push(child);
      return child;
    },
    async cleanUp() {
      for (const child of children) {
        if (child.exitCode() !== null) continue;
        child.proc.kill("SIGTERM");
        if ((await exitWithin(child, STOP_DEADLINE_MS)) === null) {
          child.proc.kill("SIGKILL");
          await child.proc.exited;
        }
      }
      // A postmaster survives its parent being killed; stop any we saw, by pid.
      for (const pid of postmasterPids) await stopPostmaster(pid);
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Immediate shutdown of a postmaster by pid, then SIGKILL if it lingers. */
export async function stopPostmaster(pid: number) {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, "SIGQUIT");
  } catch {
    // Already gone.
  }
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
