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
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  baseEnv,
  canConnect,
  type Child,
  createResources,
  developmentEnv,
  describeOutput,
  exitWithin,
  getStatus,
  isAlive,
  postgresProcessesOf,
  readPostmasterPid,
  STOP_DEADLINE_MS,
  spawnService,
  waitFor,
} from "./support";

const START_DEADLINE_MS = 30_000;
const BAD_ENV_DEADLINE_MS = 15_000;
const SANDBOX_TOKEN = "sandbox-access-token";
const JWT_PATTERN = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

const resources = createResources();
const { postmasterPids, newTempDir } = resources;

afterAll(() => resources.cleanUp(), 60_000);

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
    [port, sandboxPort, postgresPort] = (await resources.ports(3)) as [number, number, number];
    dataDir = newTempDir();
    const env = developmentEnv({ port, sandboxPort, postgresPort }, dataDir);
    expect(env).not.toHaveProperty("DATABASE_URL");

    const started = Date.now();
    child = spawnService(env);
    resources.track(child);
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
    const [sandboxPort, postgresPort] = (await resources.ports(2)) as [number, number];
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
    resources.track(child);

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
