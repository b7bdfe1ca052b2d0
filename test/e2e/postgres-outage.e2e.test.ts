/**
 * End to end: the service process (`bun src/main.ts`, its own embedded
 * Postgres in a temporary folder) under steady webhook and read traffic while
 * its Postgres is stopped from outside and started again, OUTAGE_ROUNDS times
 * (default 3), alternating fast (SIGINT) and immediate (SIGQUIT) shutdowns.
 *
 * Every round: the process stays alive; each answer arrives within 3 s and is
 * either a success or 503 DATABASE_UNAVAILABLE in the error shape with
 * Retry-After; /ready answers 503 during the outage. After the rounds: every
 * webhook acknowledged 200 is in the log, `bun run replay --verify` passes,
 * and SIGTERM exits 0.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { signToken } from "../../src/http/auth";
import { type Outcome, startLoad } from "./load";
import { startPostgres, stopPostgres } from "./postgres-control";
import { baseEnv, type Child, createResources, describeOutput, developmentEnv, exitWithin, getStatus, readPostmasterPid, ROOT, STOP_DEADLINE_MS, spawnService, waitFor } from "./support";

const ROUNDS = Number(process.env.OUTAGE_ROUNDS ?? 3);
const ANSWER_WITHIN_MS = 3000;
const JWT_SECRET = "outage-test-secret-that-is-long-enough-0123";
const WEBHOOK_SECRET = "outage-test-webhook-secret-0123";
const TEMPLATE = JSON.parse(readFileSync(join(ROOT, "test/fixtures/unipile/message-received-whatsapp.json"), "utf8")) as Record<string, unknown>;

const resources = createResources();
let child: Child;
let pgDir: string;
let pgPort: number;
let base: string;
let token: string;
const outcomes: Outcome[] = [];
const rounds: { mode: string; outageAnswers: number; slowestMs: number; readyMs: number; recoveredMs: number }[] = [];

beforeAll(async () => {
  const [port, sandboxPort, postgresPort] = (await resources.ports(3)) as [number, number, number];
  const dir = resources.newTempDir();
  pgDir = join(dir, "pg");
  pgPort = postgresPort;
  base = `http://127.0.0.1:${port}`;
  child = resources.track(
    spawnService({
      ...developmentEnv({ port, sandboxPort, postgresPort }, pgDir, dir),
      AUTH_JWT_SECRET: JWT_SECRET,
      UNIPILE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      READY_MAX_LAG_EVENTS: "0",
    }),
  );
  await waitFor("GET /ready → 200", child, Date.now() + 60_000, async () => ((await getStatus(`${base}/ready`)) === 200 ? true : undefined));
  const postmaster = readPostmasterPid(pgDir);
  if (postmaster) resources.postmasterPids.add(postmaster);
  token = await signToken(JWT_SECRET, { sub: "outage-user", expiresIn: "1h" });
}, 90_000);

afterAll(async () => {
  // OUTAGE_LOG=<file>: keep the service's output for a look at its side of the rounds.
  if (process.env.OUTAGE_LOG && child) await Bun.write(process.env.OUTAGE_LOG, `${child.stdout()}\n${child.stderr()}`);
  await resources.cleanUp();
}, 60_000);

/** Waits for `check`, failing with the service's output when it exits or the deadline passes. */
const until = (what: string, ms: number, check: () => boolean) => waitFor(what, child, Date.now() + ms, async () => (check() ? true : undefined));

async function readyStatus(): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const status = await getStatus(`${base}/ready`).catch(() => 0);
  return { status, ms: Date.now() - started };
}

describe(`Postgres stopped and started under load, ${ROUNDS} times`, () => {
  test("the process lives through every outage; answers are 2xx or 503 DATABASE_UNAVAILABLE within 3 s", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const mode = round % 2 === 0 ? "fast" : "immediate";
      const load = startLoad({ base, webhookSecret: WEBHOOK_SECRET, token, template: TEMPLATE, webhookWorkers: 6, readWorkers: 2, timeoutMs: ANSWER_WITHIN_MS });
      const roundStart = Date.now();
      await until("webhooks acknowledged before the outage", 30_000, () => load.count(roundStart, (o) => o.kind === "webhook" && o.status === 200) >= 20);

      await stopPostgres(pgDir, mode);
      const down = Date.now();
      await until("answers during the outage", 30_000, () => load.count(down, (o) => o.kind === "webhook") >= 10 && load.count(down, (o) => o.kind === "read") >= 2);
      const ready = await readyStatus();
      expect({ round, ready: ready.status }).toEqual({ round, ready: 503 });

      resources.postmasterPids.add(await startPostgres(pgDir, pgPort));
      const up = Date.now();
      await until("webhooks acknowledged after the restart", 60_000, () => load.count(up, (o) => o.kind === "webhook" && o.status === 200) >= 20);
      const answered = await load.stop();
      outcomes.push(...answered);
      expect({ round, alive: child.exitCode() }).toEqual({ round, alive: null });

      const during = answered.filter((o) => o.startedAt >= down && o.startedAt < up);
      const firstAck = Math.min(...answered.filter((o) => o.startedAt >= up && o.status === 200).map((o) => o.startedAt + o.ms));
      rounds.push({ mode, outageAnswers: during.length, slowestMs: Math.max(...answered.map((o) => o.ms)), readyMs: ready.ms, recoveredMs: firstAck - up });
      const refused = during.filter((o) => o.status === 503 && o.code === "DATABASE_UNAVAILABLE");
      expect(refused.length).toBeGreaterThan(0);
    }
    console.log(`outage rounds: ${JSON.stringify(rounds)}`);

    const unexpected = outcomes.filter((o) => !(o.status >= 200 && o.status < 300) && !(o.status === 503 && o.code === "DATABASE_UNAVAILABLE"));
    expect(unexpected).toEqual([]);
    const refusals = outcomes.filter((o) => o.status === 503);
    expect(refusals.filter((o) => o.retryAfter === null)).toEqual([]);
    expect(outcomes.filter((o) => o.ms > ANSWER_WITHIN_MS)).toEqual([]);
    const log = child.stdout();
    expect(log).not.toContain('"msg":"uncaught');
    expect(child.stderr()).not.toContain("TypeError");
  }, 120_000 + ROUNDS * 60_000);

  test("after recovery, every acknowledged webhook is in the log and replay --verify passes", async () => {
    await waitFor("GET /ready → 200 (projections caught up)", child, Date.now() + 60_000, async () => ((await getStatus(`${base}/ready`)) === 200 ? true : undefined));
    const acked = outcomes.filter((o) => o.kind === "webhook" && o.status === 200).map((o) => `unipile-message:${o.messageId}`);
    expect(acked.length).toBeGreaterThan(ROUNDS * 40 - 1);
    const url = `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`;
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const found = await sql<{ dedupe_key: string }[]>`select dedupe_key from events where dedupe_key = any(${acked})`;
      const missing = acked.filter((key) => !found.some((row) => row.dedupe_key === key));
      expect(missing).toEqual([]);
    } finally {
      await sql.end({ timeout: 1 });
    }

    const replay = Bun.spawnSync([process.execPath, "--no-env-file", "scripts/replay.ts", "--verify"], {
      cwd: ROOT,
      env: { ...baseEnv(), NODE_ENV: "development", DATABASE_URL: url },
    });
    const output = `${replay.stdout.toString()}\n${replay.stderr.toString()}`;
    if (replay.exitCode !== 0) throw new Error(`replay --verify exited ${replay.exitCode}:\n${output}`);
    expect(output).not.toContain("DIFFERENCES FOUND");
  }, 120_000);

  test("SIGTERM after the outages stops the service with exit code 0 within 15 s", async () => {
    child.proc.kill("SIGTERM");
    const code = await exitWithin(child, STOP_DEADLINE_MS);
    if (code !== 0) throw new Error(`exit code ${code} after SIGTERM\n${describeOutput(child)}`);
    // The Postgres running now was started by the test, not the service: the test stops it (afterAll).
  }, 30_000);
});
