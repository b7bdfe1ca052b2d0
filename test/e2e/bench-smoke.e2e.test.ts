/**
 * The benchmark harness must not rot: `bun scripts/bench/main.ts --smoke` (a few
 * hundred events per part, no targets) runs its whole path here, starting its
 * own Postgres, sandbox and service processes, and must print every figure
 * as a JSON line and exit 0. No timing is asserted: the suite is no benchmark.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { FIGURES } from "../../scripts/bench/common";

const ROOT = resolve(import.meta.dir, "../..");

/** True when something accepts a TCP connection on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });

describe("bun run bench --smoke", () => {
  test(
    "prints every figure as JSON, with the run's machine and date, and leaves nothing behind",
    async () => {
      // The run's own temporary folder (TMPDIR): another bench running on the machine meanwhile
      // (another checkout's suite) makes and removes its folders in the shared one.
      const scratch = mkdtempSync(join(tmpdir(), "bench-smoke-test-"));
      const proc = Bun.spawn([process.execPath, "scripts/bench/main.ts", "--smoke"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC", TMPDIR: scratch },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      if (code !== 0) console.error(stdout, stderr);
      expect(code).toBe(0);

      const lines = stdout.split("\n").filter((line) => line.startsWith("{"));
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const run = parsed.find((p) => "run" in p)?.run as { date: string; mode: string; machine: { cpus: number } } | undefined;
      expect(run?.mode).toBe("smoke");
      expect(Number.isNaN(Date.parse(run?.date ?? ""))).toBe(false);
      expect(run?.machine.cpus).toBeGreaterThan(0);

      const figures = new Map(parsed.filter((p) => "figure" in p).map((p) => [p.figure as string, p]));
      for (const name of FIGURES) {
        const f = figures.get(name);
        expect(f, name).toBeDefined();
        expect(typeof f?.value, name).toBe("number");
        expect(f?.target, name).toBeNull();
      }
      expect(figures.get("ingest.accepted_per_s")?.reference).toBeDefined();
      expect(figures.get("replay.events_per_s")?.reference).toBeDefined();
      // The readable table follows the JSON lines.
      expect(stdout).toContain("smoke run (no targets) finished");

      // Every process was stopped and the temporary folder (Postgres data included) removed.
      expect(readdirSync(scratch)).toEqual([]);
      rmSync(scratch, { recursive: true, force: true });
      const pgPort = Number(/postgres \S+ up on port (\d+)/.exec(stderr)?.[1]);
      expect(pgPort).toBeGreaterThan(0);
      expect(await listening(pgPort)).toBe(false);
    },
    180_000,
  );
});
