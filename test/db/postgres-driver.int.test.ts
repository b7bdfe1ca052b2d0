/**
 * The patched postgres.js (scripts/patches/postgres@3.4.9.patch) when a
 * backend dies under it, as every backend does when Postgres stops. Unpatched
 * 3.4.9 throws `null is not an object (evaluating 'socket.write')` from a
 * deferred write outside every promise (porsager/postgres#1208), which ends
 * the process; and a reserved connection whose backend died hangs its next
 * queries and, once released, poisons its pool slot.
 *
 * Each scenario runs in a child process (test/db/driver-scenarios.ts), so a
 * crash is an exit code here rather than the end of the test runner.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const SCRIPT = resolve(import.meta.dir, "driver-scenarios.ts");
const CONNECTION_ERRORS = ["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "ECONNRESET", "57P01"];

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await tdb.drop();
});

async function runScenario(name: string): Promise<{ exitCode: number; output: string; result: unknown }> {
  const proc = Bun.spawn([process.execPath, "--no-env-file", SCRIPT, name, tdb.url], { stdout: "pipe", stderr: "pipe" });
  // A stranded pool never ends the script: stop it well inside the test's time.
  const killer = setTimeout(() => proc.kill("SIGKILL"), 40_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(killer);
  const line = stdout.trim().split("\n").at(-1) ?? "";
  let result: unknown;
  try {
    result = JSON.parse(line);
  } catch {
    result = undefined;
  }
  return { exitCode, output: `exit ${exitCode}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`, result };
}

describe("postgres.js when a backend dies", () => {
  test("given a transaction mid-statement, when its backend ends, then it rejects with a connection error and the process lives on", async () => {
    const run = await runScenario("transaction");

    if (run.exitCode !== 0) throw new Error(`the process died:\n${run.output}`);
    const result = run.result as { transaction: string; after: string };
    expect(CONNECTION_ERRORS).toContain(result.transaction);
    expect(result.after).toBe("ok");
  }, 30_000);

  test("given a reserved connection, when its backend ends, then its queries settle with connection errors and the pool answers after its release", async () => {
    const run = await runScenario("reserved");

    if (run.exitCode !== 0) throw new Error(`the process died:\n${run.output}`);
    const { rounds } = run.result as { rounds: { first: string; second: string; pool: string[] }[] };
    expect(rounds).toHaveLength(3);
    for (const round of rounds) {
      expect(CONNECTION_ERRORS).toContain(round.first);
      expect(CONNECTION_ERRORS).toContain(round.second);
      // The released connection may report its backend's end once; the pool then answers.
      expect(round.pool.at(-1)).toBe("ok");
      expect(round.pool.filter((outcome) => outcome !== "ok" && !CONNECTION_ERRORS.includes(outcome))).toEqual([]);
    }
  }, 60_000);
});
