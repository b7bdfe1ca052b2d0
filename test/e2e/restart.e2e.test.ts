/**
 * End to end: the service (`bun --no-env-file src/main.ts`, what ./scripts/start
 * runs after installing) killed with SIGKILL, then started again on the same
 * folders and ports, RESTART_ROUNDS times (default 2). Its embedded Postgres
 * outlives the kill; the next start must stop that orphan and be ready within
 * 30 s. With the Postgres killed too, the stale postmaster.pid is removed. A
 * start that fails says why.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
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

const ROUNDS = Number(process.env.RESTART_ROUNDS ?? 2);
const READY_DEADLINE_MS = 30_000;

const resources = createResources();
let env: Record<string, string>;
let pgDir: string;
let base: string;
let child: Child;

beforeAll(async () => {
  const [port, sandboxPort, postgresPort] = (await resources.ports(3)) as [number, number, number];
  const dir = resources.newTempDir();
  pgDir = join(dir, "pg");
  base = `http://127.0.0.1:${port}`;
  env = developmentEnv({ port, sandboxPort, postgresPort }, pgDir, dir);
});

afterAll(() => resources.cleanUp(), 60_000);

/** Starts the service and resolves with the ms until /ready answered 200. */
async function startUntilReady(deadlineMs: number): Promise<number> {
  const started = Date.now();
  child = resources.track(spawnService(env));
  await waitFor("GET /ready → 200", child, started + deadlineMs, async () => ((await getStatus(`${base}/ready`)) === 200 ? true : undefined));
  const postmaster = readPostmasterPid(pgDir);
  if (postmaster) resources.postmasterPids.add(postmaster);
  return Date.now() - started;
}

async function killService() {
  child.proc.kill("SIGKILL");
  await child.proc.exited;
}

const messages = (c: Child) =>
  c
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { msg?: string }).msg ?? "");

describe("the service killed with SIGKILL and started again", () => {
  test(`stops the Postgres the killed service left running and is ready within 30 s, ${ROUNDS} times`, async () => {
    await startUntilReady(90_000); // the first start initialises the data folder
    const readyMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const orphan = readPostmasterPid(pgDir);
      expect(orphan).toBeDefined();
      await killService();
      // What made the next start fail before: the killed service's Postgres runs on.
      expect({ round, orphanAlive: isAlive(orphan as number) }).toEqual({ round, orphanAlive: true });

      const ms = await startUntilReady(READY_DEADLINE_MS);
      readyMs.push(ms);
      expect({ round, orphanAlive: isAlive(orphan as number) }).toEqual({ round, orphanAlive: false });
      expect(messages(child)).toContain("stopped an embedded Postgres left running by a killed service");
    }
    console.log(`ready after SIGKILL in ms: ${JSON.stringify(readyMs)}`);
    expect(readyMs.filter((ms) => ms >= READY_DEADLINE_MS)).toEqual([]);
  }, 120_000 + ROUNDS * 45_000);

  test("with its Postgres killed too, removes the stale postmaster.pid and is ready within 30 s", async () => {
    const postmaster = readPostmasterPid(pgDir) as number;
    await killService();
    process.kill(postmaster, "SIGKILL");
    // The postmaster's children notice its death and exit; the pid file stays behind.
    const deadline = Date.now() + 20_000;
    while (postgresProcessesOf(pgDir, postmaster).length > 0) {
      if (Date.now() > deadline) throw new Error("the killed Postgres's processes did not exit within 20 s");
      await Bun.sleep(50);
    }
    expect(readPostmasterPid(pgDir)).toBe(postmaster);

    await startUntilReady(READY_DEADLINE_MS);
    expect(messages(child)).toContain("removed a stale postmaster.pid (no Postgres of this data folder runs under its pid)");
  }, 90_000);

  test("a start that fails logs Postgres's own reason (its port taken) and exits 1", async () => {
    child.proc.kill("SIGTERM");
    expect(await exitWithin(child, STOP_DEADLINE_MS)).toBe(0);
    const blocker = Bun.listen({ hostname: "127.0.0.1", port: Number(env.EMBEDDED_POSTGRES_PORT), socket: { data() {} } });
    try {
      child = resources.track(spawnService(env));
      const code = await exitWithin(child, 60_000);
      await child.drained;
      if (code !== 1) throw new Error(`expected exit 1\n${describeOutput(child)}`);
      const failure = child
        .stdout()
        .split("\n")
        .filter((line) => line.includes('"msg":"start-up failed"'))
        .map((line) => JSON.parse(line) as { err?: { message?: string } });
      expect(failure).toHaveLength(1);
      expect(failure[0]?.err?.message ?? "").toContain("did not start");
      expect(failure[0]?.err?.message ?? "").toMatch(/could not bind|Address already in use|could not create any TCP\/IP sockets/);
    } finally {
      blocker.stop(true);
    }
  }, 90_000);
});
