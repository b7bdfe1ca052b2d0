/**
 * Every script answers --help (usage on stdout, exit 0, nothing started),
 * and ./scripts/bun runs the README's `bun run …` commands with the pinned Bun.
 */
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

async function run(command: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn(command, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

const COMMANDS: [string, string[]][] = [
  ["./scripts/start", ["./scripts/start", "--help"]],
  ["./scripts/test", ["./scripts/test", "--help"]],
  ["./scripts/bun", ["./scripts/bun", "--help"]],
  ["the service (bun run start)", [process.execPath, "src/main.ts", "--help"]],
  ["bun run db:migrate", [process.execPath, "scripts/migrate.ts", "--help"]],
  ["bun run replay", [process.execPath, "scripts/replay.ts", "--help"]],
  ["bun run token", [process.execPath, "scripts/token.ts", "--help"]],
  ["bun run sandbox", [process.execPath, "scripts/sandbox.ts", "--help"]],
  ["bun run bench", [process.execPath, "scripts/bench/main.ts", "--help"]],
  ["scripts/with-postgres.ts", [process.execPath, "scripts/with-postgres.ts", "--help"]],
  ...["generate", "load", "postgres", "receiver", "replay"].map((name): [string, string[]] => [
    `scripts/bench/${name}.ts (run by the bench)`,
    [process.execPath, `scripts/bench/${name}.ts`, "--help"],
  ]),
];

/** Files under scripts/ that are imported, not run. */
const MODULES = [
  ...["bodies", "common", "options", "processes", "report", "setup", "wal"].map((name) => `scripts/bench/${name}.ts`),
  ...["ingest", "lag", "memory", "queries", "replay"].map((name) => `scripts/bench/parts/${name}.ts`),
  ...["ingest", "lag", "queries", "webhooks"].map((name) => `scripts/bench/load/${name}.ts`),
];

describe("--help", () => {
  test.each(COMMANDS)("%s prints its usage and exits 0", async (_name, command) => {
    const { code, out } = await run(command);
    expect({ code, usage: out.startsWith("usage:") }).toEqual({ code: 0, usage: true });
  }, 60_000);
});

test("the list covers every script: package.json's and every runnable file under scripts/", async () => {
  const covered = new Set(COMMANDS.map(([, command]) => command.find((part) => part.startsWith("scripts/") || part.startsWith("./scripts/"))?.replace(/^\.\//, "")));
  // Two patterns: Bun's glob matches nothing for a brace list of paths ("scripts/{*,bench/*}").
  const files = ["scripts/*", "scripts/bench/**/*"]
    .flatMap((pattern) => [...new Bun.Glob(pattern).scanSync({ cwd: ROOT, onlyFiles: true })])
    .filter((f) => !f.endsWith(".md"));
  expect(files.filter((file) => !covered.has(file) && !MODULES.includes(file)).sort()).toEqual([]);
  const pkg = (await Bun.file(resolve(ROOT, "package.json")).json()) as { scripts: Record<string, string> };
  const run = Object.values(pkg.scripts).flatMap((line) => line.match(/(?:src|scripts)\/[\w/.-]+\.ts/g) ?? []);
  expect(run.filter((file) => !covered.has(file) && file !== "src/main.ts").sort()).toEqual([]);
});

describe("./scripts/bun", () => {
  test("runs a README command (bun run token) with the pinned Bun", async () => {
    const { code, out, err } = await run(["./scripts/bun", "run", "token", "--", "--sub", "alice"], { AUTH_JWT_SECRET: "scripts-bun-test-secret-0123456789abcdef" });
    expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
    expect(out).toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  }, 120_000);
});
