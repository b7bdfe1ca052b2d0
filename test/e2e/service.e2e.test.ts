/**
 * End to end: the real service process (`bun src/main.ts`) through its real
 * interface. Nothing configured but ports and folders, so it starts its own
 * embedded Postgres, the Unipile sandbox and development-mode auth; then it is
 * checked over HTTP, through its output, and on SIGTERM it must stop every
 * piece it started and exit 0. A bad environment must stop it before anything
 * starts, naming every problem.
 *
 * Does not use the test DATABASE_URL: the child gets an environment without it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 15_000;
const BAD_ENV_DEADLINE_MS = 15_000;
const SANDBOX_TOKEN = "sandbox-access-token";
const JWT_PATTERN = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

// ---------------------------------------------------------------- helpers

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function canConnect(port: number, timeoutMs = 2000): Promise<boolean> {
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
async function isFree(port: number): Promise<boolean> {
  try {
    const listener = Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } });
    listener.stop(true);
  } catch {
    return false;
  }
  return !(await canConnect(port, 500));
}

/** Distinct random free ports in 40000-49999. */
async function freePorts(count: number, taken: Set<number> = new Set()): Promise<number[]> {
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
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key === "DATABASE_URL" || key.startsWith("UNIPILE_") || key.startsWith("AUTH_") || key.startsWith("SANDBOX_")) continue;
    if (key.startsWith("EMBEDDED_POSTGRES_") || key === "PUBLIC_URL" || key === "HOST" || key === "PORT") continue;
    env[key] = value;
  }
  return env;
}

/** A running child with its stdout and stderr collected as they arrive. */
interface Child {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once both output streams are closed. */
  drained: Promise<void>;
  exitCode: () => number | null;
}

function spawnService(env: Record<string, string>): Child {
  // --no-env-file: a developer's .env (gitignored) must not configure the child.
  const proc = Bun.spawn([process.execPath, "--no-env-file", "src/main.ts"], {
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
async function exitWithin(child: Child, ms: number): Promise<number | null> {
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

function describeOutput(child: Child): string {
  const tail = (text: string) => text.split("\n").slice(-40).join("\n");
  return `exit code: ${child.exitCode()}\n--- stdout (tail) ---\n${tail(child.stdout())}\n--- stderr (tail) ---\n${tail(child.stderr())}`;
}

/** Polls `check` until it returns a value, the deadline passes, or the child exits. */
async function waitFor<T>(what: string, child: Child, deadline: number, check: () => Promise<T | undefined>): Promise<T> {
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

async function getStatus(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
  await response.arrayBuffer();
  return response.status;
}

/** The cmdline of every process, by pid. */
function processes(): { pid: number; ppid: number; cmdline: string }[] {
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
function postgresProcessesOf(dataDir: string, postmasterPid?: number) {
  const all = processes();
  const postmasters = new Set(all.filter((p) => p.cmdline.includes(dataDir) && /postgres/.test(p.cmdline)).map((p) => p.pid));
  if (postmasterPid) postmasters.add(postmasterPid);
  return all.filter((p) => postmasters.has(p.pid) || (postmasters.has(p.ppid) && /postgres/.test(p.cmdline)));
}

function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- state

const takenPorts = new Set<number>();
const tempDirs: string[] = [];
const children: Child[] = [];
/** Postmasters seen while running, killed by pid in afterAll if a test left one. */
const postmasterPids = new Set<number>();

function newTempDir(): string {
  const dir = join(ROOT, ".data", `e2e-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`);
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode() !== null) continue;
    child.proc.kill("SIGTERM");
    if ((await exitWithin(child, STOP_DEADLINE_MS)) === null) {
      child.proc.kill("SIGKILL");
      await child.proc.exited;
    }
  }
  // A postmaster survives its parent being killed; stop any we saw, by pid.
  for (const pid of postmasterPids) {
    if (!isAlive(pid)) continue;
    try {
      process.kill(pid, "SIGQUIT");
    } catch {
      // Already gone.
    }
    const deadline = Date.now() + 10_000;
    while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(100);
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}, 60_000);

// ---------------------------------------------------------------- tests

describe("the service process (bun src/main.ts) with nothing configured", () => {
  let child: Child;
  let dataDir: string;
  let port: number;
  let sandboxPort: number;
  let postgresPort: number;
  let token: string;
  let postmasterPid: number | undefined;
  const base = () => `http://127.0.0.1:${port}`;

  test("starts the embedded Postgres, the sandbox and the HTTP server: /health and /ready are 200 within 30 s", async () => {
    [port, sandboxPort, postgresPort] = (await freePorts(3, takenPorts)) as [number, number, number];
    dataDir = newTempDir();
    const env = {
      ...baseEnv(),
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
      PORT: String(port),
      SANDBOX_PORT: String(sandboxPort),
      EMBEDDED_POSTGRES_PORT: String(postgresPort),
      EMBEDDED_POSTGRES_DIR: dataDir,
      AUTH_DEV_SECRET_FILE: join(dataDir, "dev-auth-secret"),
    };
    expect(env).not.toHaveProperty("DATABASE_URL");

    const started = Date.now();
    child = spawnService(env);
    children.push(child);
    const deadline = started + START_DEADLINE_MS;
    await waitFor("GET /health → 200", child, deadline, async () => ((await getStatus(`${base()}/health`)) === 200 ? true : undefined));
    postmasterPid = readPostmasterPid(dataDir);
    if (postmasterPid) postmasterPids.add(postmasterPid);
    await waitFor("GET /ready → 200", child, deadline, async () => ((await getStatus(`${base()}/ready`)) === 200 ? true : undefined));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(START_DEADLINE_MS);

    const ready = await fetch(`${base()}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      checks: { database: { ok: true }, migrations: { ok: true }, projections: { ok: true } },
    });
    expect(await (await fetch(`${base()}/health`)).json()).toEqual({ status: "ok" });
  }, 60_000);

  test("prints a development token on stderr that authenticates as dev-user on GET /api/me", async () => {
    // The token block is printed after the server listens: wait for it too.
    const match = await waitFor("the development token on stderr", child, Date.now() + 15_000, async () => {
      const stderr = child.stderr();
      return stderr.includes("DEVELOPMENT MODE") ? (stderr.match(JWT_PATTERN) ?? undefined) : undefined;
    });
    token = match[0];
    expect(child.stderr()).toContain("A token for user dev-user (30 days)");
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(30 * 86_400);
    expect(existsSync(join(dataDir, "dev-auth-secret"))).toBe(true);

    const me = await fetch(`${base()}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userId: "dev-user", roles: expect.any(Array) });
  }, 60_000);

  test("GET /api/me without a token is 401 in the error shape", async () => {
    const response = await fetch(`${base()}/api/me`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: unknown; code: unknown; requestId: unknown };
    // Checked field by field: Bun 1.4.5's toMatchObject writes its asymmetric matchers into the received object.
    expect(Object.keys(body).sort()).toEqual(["code", "error", "requestId"]);
    expect(body.code).toBe("UNAUTHENTICATED");
    expect(typeof body.error).toBe("string");
    expect(String(body.error).length).toBeGreaterThan(0);
    expect(typeof body.requestId).toBe("string");
    expect(String(body.requestId).length).toBeGreaterThan(0);
    expect(response.headers.get("x-request-id")).toBe(String(body.requestId));
  }, 60_000);

  test("GET /openapi.json is an OpenAPI 3.1 document of the service", async () => {
    const response = await fetch(`${base()}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/json");
    const doc = (await response.json()) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
    expect(doc.openapi).toStartWith("3.1");
    expect(doc.info.title).toBe("commsync-unipile");
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/health", "/ready", "/api/me", "/openapi.json"]));
  }, 60_000);

  test("the Unipile sandbox answers on SANDBOX_PORT", async () => {
    const accounts = await fetch(`http://127.0.0.1:${sandboxPort}/api/v1/accounts`, { headers: { "X-API-KEY": SANDBOX_TOKEN } });
    expect(accounts.status).toBe(200);
    expect(await accounts.json()).toMatchObject({ object: "AccountList", items: expect.any(Array) });

    const denied = await fetch(`http://127.0.0.1:${sandboxPort}/api/v1/accounts`);
    expect(denied.status).toBe(401);
    await denied.arrayBuffer();
  }, 60_000);

  test("logs pino JSON on stdout, announcing sandbox mode and the embedded Postgres, never the token", () => {
    const stdout = child.stdout();
    const lines = stdout.split("\n").filter((line) => line.trim() !== "");
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((line) => {
      try {
        return JSON.parse(line) as { level: number; msg?: string; service?: string };
      } catch {
        throw new Error(`a stdout line is not JSON: ${line}`);
      }
    });
    for (const record of records) {
      expect(record.service).toBe("commsync-unipile");
      expect(typeof record.level).toBe("number");
    }
    const messages = records.map((r) => r.msg ?? "");
    expect(messages.some((m) => m.includes("sandbox mode"))).toBe(true);
    expect(messages.some((m) => m.includes("embedded Postgres"))).toBe(true);
    expect(messages.some((m) => m.includes("listening"))).toBe(true);
    expect(token).toMatch(JWT_PATTERN);
    expect(stdout).not.toContain(token);
    // Nor its payload or signature (the header part is the same for every HS256 token).
    for (const part of token.split(".").slice(1)) expect(stdout).not.toContain(part);
  }, 60_000);

  test("SIGTERM stops the HTTP server, the sandbox and Postgres, and exits 0 within 15 s", async () => {
    expect(child.exitCode()).toBeNull();
    postmasterPid ??= readPostmasterPid(dataDir);
    if (postmasterPid) postmasterPids.add(postmasterPid);
    expect(postmasterPid).toBeDefined();
    expect(postgresProcessesOf(dataDir, postmasterPid).length).toBeGreaterThan(0);
    for (const p of [port, sandboxPort, postgresPort]) expect(await canConnect(p)).toBe(true);

    const signalled = Date.now();
    child.proc.kill("SIGTERM");
    const code = await exitWithin(child, STOP_DEADLINE_MS);
    if (code === null) throw new Error(`still running ${STOP_DEADLINE_MS} ms after SIGTERM\n${describeOutput(child)}`);
    expect(Date.now() - signalled).toBeLessThan(STOP_DEADLINE_MS);
    if (code !== 0) throw new Error(`exit code ${code} after SIGTERM\n${describeOutput(child)}`);
    expect(code).toBe(0);
    expect(child.proc.signalCode).toBeNull();
    await child.drained;

    for (const p of [port, sandboxPort, postgresPort]) expect({ port: p, listening: await canConnect(p) }).toEqual({ port: p, listening: false });
    expect(postgresProcessesOf(dataDir, postmasterPid)).toEqual([]);
    if (postmasterPid) expect(isAlive(postmasterPid)).toBe(false);
    // A clean Postgres shutdown removes its pid file; a killed one leaves it.
    expect(existsSync(join(dataDir, "postmaster.pid"))).toBe(false);

    const messages = child
      .stdout()
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => (JSON.parse(line) as { msg?: string }).msg ?? "");
    expect(messages).toContain("shutting down");
    expect(messages).toContain("stopped");
    expect(messages.filter((m) => m.includes("failed") || m.includes("took too long"))).toEqual([]);
  }, 60_000);
});

describe("the service process with a bad environment", () => {
  test("exits non-zero at once, naming every problem on stderr, and starts nothing", async () => {
    const [sandboxPort, postgresPort] = (await freePorts(2, takenPorts)) as [number, number];
    const shortSecret = "e2e-short-Xq7";
    const dataDir = newTempDir();
    const child = spawnService({
      ...baseEnv(),
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      PORT: "notaport",
      AUTH_JWT_SECRET: shortSecret,
      SANDBOX_PORT: String(sandboxPort),
      EMBEDDED_POSTGRES_PORT: String(postgresPort),
      EMBEDDED_POSTGRES_DIR: dataDir,
      AUTH_DEV_SECRET_FILE: join(dataDir, "dev-auth-secret"),
    });
    children.push(child);

    const code = await exitWithin(child, BAD_ENV_DEADLINE_MS);
    if (code === null) throw new Error(`still running ${BAD_ENV_DEADLINE_MS} ms after start\n${describeOutput(child)}`);
    await child.drained;
    expect(code).not.toBe(0);

    const stderr = child.stderr();
    expect(stderr).toContain("invalid environment");
    expect(stderr).toMatch(/^\s*- PORT: /m);
    expect(stderr).toMatch(/^\s*- AUTH_JWT_SECRET: .*32/m);
    expect(stderr).not.toContain(shortSecret); // the value of a secret is not echoed

    // Nothing started: no logs, no folders, no listeners, no Postgres.
    expect(child.stdout()).toBe("");
    expect(existsSync(dataDir)).toBe(false);
    for (const p of [sandboxPort, postgresPort]) expect(await canConnect(p)).toBe(false);
    expect(postgresProcessesOf(dataDir)).toEqual([]);
  }, 60_000);
});
