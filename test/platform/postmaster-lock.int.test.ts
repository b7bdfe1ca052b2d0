/**
 * The data folder's lock before an embedded Postgres starts, on real files
 * and processes. (Stopping an orphaned server is in test/e2e/restart.e2e.test.ts.)
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { releaseDataFolder } from "../../src/platform/postmaster-lock";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataFolder(pid?: number): string {
  const dir = mkdtempSync(join(tmpdir(), "lock-"));
  dirs.push(dir);
  if (pid !== undefined) writeFileSync(join(dir, "postmaster.pid"), `${pid}\n${dir}\n1700000000\n5432\n`);
  return dir;
}

/** A pid no process has: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(["true"]);
  await child.exited;
  return child.pid;
}

describe("releasing the data folder before a start", () => {
  test("given no postmaster.pid, then there is nothing to do", async () => {
    expect(await releaseDataFolder({ dir: dataFolder() })).toEqual({ kind: "none" });
  });

  test("given a postmaster.pid naming a dead process, then it is removed as stale", async () => {
    const pid = await deadPid();
    const dir = dataFolder(pid);

    expect(await releaseDataFolder({ dir })).toEqual({ kind: "stale", pid });
    expect(existsSync(join(dir, "postmaster.pid"))).toBe(false);
  });

  test("given a postmaster.pid naming a live process that is not a Postgres of this folder (a reused pid), then it is removed and the process left alone", async () => {
    const dir = dataFolder(process.pid);

    expect(await releaseDataFolder({ dir })).toEqual({ kind: "stale", pid: process.pid });
    expect(existsSync(join(dir, "postmaster.pid"))).toBe(false);
  });
});
