import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appliedMigrationCount, expectedMigrationCount } from "../../src/db/migrate";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: false });
});
afterAll(() => tdb.drop());

async function runMigrate(...args: string[]) {
  const proc = Bun.spawn(["bun", "scripts/migrate.ts", ...args], {
    env: { ...process.env, DATABASE_URL: tdb.url, NODE_ENV: "test" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  return { code, out };
}

describe("bun run db:migrate", () => {
  test("applies every migration to an empty database, and again is a no-op", async () => {
    expect(await appliedMigrationCount(tdb.sql)).toBe(0);
    const first = await runMigrate();
    expect(first.code).toBe(0);
    const total = expectedMigrationCount();
    expect(first.out).toContain(`migrations: ${total} of ${total} applied`);
    expect(await appliedMigrationCount(tdb.sql)).toBe(total);
    const again = await runMigrate();
    expect(again.code).toBe(0);
    expect(await appliedMigrationCount(tdb.sql)).toBe(total);
  });

  test("--help prints the usage", async () => {
    const help = await runMigrate("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("usage: bun run db:migrate");
  });
});
