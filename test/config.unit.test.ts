import { describe, expect, test } from "bun:test";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../src/config";

describe("loadConfig", () => {
  test("defaults describe the development set-up", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      port: 3000,
      database: { url: undefined, embedded: { dir: ".data/postgres", port: 54329 } },
      auth: { mode: "development", algorithms: ["HS256"] },
      unipile: { dsn: undefined },
      sandbox: { port: 13111 },
    });
  });

  test("the sandbox keeps its state in .data/sandbox.json in development only; tests get an empty one in memory", () => {
    expect(loadConfig({}).sandbox.stateFile).toBe(".data/sandbox.json");
    expect(loadConfig({ NODE_ENV: "test" }).sandbox.stateFile).toBeNull();
    expect(loadConfig({ SANDBOX_STATE_FILE: "off" }).sandbox.stateFile).toBeNull();
    expect(loadConfig({ NODE_ENV: "test", SANDBOX_STATE_FILE: "/tmp/x.json" }).sandbox.stateFile).toBe("/tmp/x.json");
  });

  test("database timeouts: 2 s to connect and 15 s per statement by default, both configurable", () => {
    expect(loadConfig({}).database).toMatchObject({ connectTimeoutMs: 2000, statementTimeoutMs: 15000 });
    expect(loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: "500", DATABASE_STATEMENT_TIMEOUT_MS: "0" }).database).toMatchObject({
      connectTimeoutMs: 500,
      statementTimeoutMs: 0,
    });
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: "10" })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS/);
  });

  test("a bad environment lists every problem at once", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", AUTH_JWT_SECRET: "short", LOG_LEVEL: "loud", UNIPILE_DSN: "https://api1.unipile.com:13111" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    for (const key of ["PORT", "DATABASE_URL", "AUTH_JWT_SECRET", "LOG_LEVEL", "UNIPILE_ACCESS_TOKEN"]) expect(problems).toContain(key);
  });

  test("production requires real dependencies and real authentication", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/DATABASE_URL[\s\S]*UNIPILE_DSN[\s\S]*AUTH_JWT_SECRET/);
  });

  test("outside development, NEXTAUTH_SECRET or AUTH_SECRET alone is enough: the session cookie is the only credential", () => {
    const production = { NODE_ENV: "production", DATABASE_URL: "postgres://db/app", UNIPILE_DSN: "https://api.unipile.test", UNIPILE_ACCESS_TOKEN: "t", UNIPILE_WEBHOOK_SECRET: "w".repeat(16) };
    for (const secret of [{ NEXTAUTH_SECRET: "n".repeat(32) }, { AUTH_SECRET: "a".repeat(32) }]) {
      const config = loadConfig({ ...production, ...secret });
      expect(config.auth.mode).toBe("session");
      expect(config.session.secrets).toHaveLength(1);
    }
    expect(() => loadConfig(production)).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL .*or NEXTAUTH_SECRET \/ AUTH_SECRET/);
    expect(loadConfig({ ...production, NEXTAUTH_SECRET: "n".repeat(32), AUTH_JWT_SECRET: "x".repeat(32) }).auth.mode).toBe("secret");
    expect(loadConfig({ NODE_ENV: "test", NEXTAUTH_SECRET: "n".repeat(32) }).auth.mode).toBe("session");
    expect(loadConfig({ NEXTAUTH_SECRET: "n".repeat(32) }).auth.mode).toBe("development");
  });

  test("a secret selects HS256; a JWKS URL selects asymmetric algorithms; both is an error", () => {
    expect(loadConfig({ AUTH_JWT_SECRET: "x".repeat(32) }).auth).toMatchObject({ mode: "secret", algorithms: ["HS256"] });
    expect(loadConfig({ AUTH_JWKS_URL: "https://id.example/jwks.json" }).auth).toMatchObject({ mode: "jwks", algorithms: ["RS256", "ES256", "EdDSA"] });
    expect(() => loadConfig({ AUTH_JWT_SECRET: "x".repeat(32), AUTH_JWKS_URL: "https://id.example/jwks.json" })).toThrow(ConfigError);
    expect(loadConfig({ AUTH_JWT_SECRET: "x".repeat(32), AUTH_ALGORITHMS: "HS256, HS512" }).auth.algorithms).toEqual(["HS256", "HS512"]);
  });

  test("tokens live 24 hours at most, 30 days in development mode (the printed token's); AUTH_MAX_TOKEN_AGE sets it", () => {
    const secret = { AUTH_JWT_SECRET: "x".repeat(32) };
    expect(loadConfig(secret).auth.maxTokenAgeSeconds).toBe(86_400);
    expect(loadConfig({ AUTH_JWKS_URL: "https://id.example/jwks.json" }).auth.maxTokenAgeSeconds).toBe(86_400);
    expect(loadConfig({}).auth).toMatchObject({ mode: "development", maxTokenAgeSeconds: 30 * 86_400 });
    expect(loadConfig({ ...secret, AUTH_MAX_TOKEN_AGE: "2h" }).auth.maxTokenAgeSeconds).toBe(7200);
    expect(loadConfig({ AUTH_MAX_TOKEN_AGE: "7d" }).auth.maxTokenAgeSeconds).toBe(7 * 86_400);
    for (const bad of ["forever", "30s", "400d"]) expect(() => loadConfig({ ...secret, AUTH_MAX_TOKEN_AGE: bad })).toThrow(/AUTH_MAX_TOKEN_AGE/);
  });

  test("trailing slashes are removed from base URLs (the SDK would build //api/v1)", () => {
    const config = loadConfig({ UNIPILE_DSN: "https://api8.unipile.com:13851/", UNIPILE_ACCESS_TOKEN: "t", PUBLIC_URL: "https://hooks.example/" });
    expect(config.unipile.dsn).toBe("https://api8.unipile.com:13851");
    expect(config.unipile.publicUrl).toBe("https://hooks.example");
  });
});

describe("sync settings", () => {
  test("defaults: a 30 s interval, 5 min overlap, 1 min lease, and a catch-up after three intervals (at least a minute)", () => {
    expect(loadConfig({}).sync).toEqual({
      enabled: true,
      intervalMs: 30_000,
      overlapMs: 300_000,
      leaseMs: 60_000,
      concurrency: 4,
      maxBackoffMs: 300_000,
      catchUpAfterMs: 90_000,
    });
    expect(loadConfig({ SYNC_INTERVAL_MS: "100" }).sync.catchUpAfterMs).toBe(60_000);
    expect(loadConfig({ SYNC_INTERVAL_MS: "100", SYNC_CATCH_UP_AFTER_MS: "500", SYNC_ENABLED: "false" }).sync).toMatchObject({ catchUpAfterMs: 500, enabled: false });
    expect(() => loadConfig({ SYNC_CONCURRENCY: "0" })).toThrow(/SYNC_CONCURRENCY/);
  });
});

describe(".env.example", () => {
  test("lists every variable the configuration reads, and nothing else", async () => {
    const text = await Bun.file(new URL("../.env.example", import.meta.url)).text();
    const documented = [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });
});

describe("input limits", () => {
  test("defaults: JSON nests at most 64 levels, the request head takes at most 16 KiB; both configurable within bounds", () => {
    expect(loadConfig({}).http).toMatchObject({ jsonMaxDepth: 64, maxHeaderBytes: 16_384 });
    expect(loadConfig({ JSON_MAX_DEPTH: "8", HTTP_MAX_HEADER_BYTES: "4096" }).http).toMatchObject({ jsonMaxDepth: 8, maxHeaderBytes: 4096 });
    expect(() => loadConfig({ JSON_MAX_DEPTH: "0", HTTP_MAX_HEADER_BYTES: "100" })).toThrow(/JSON_MAX_DEPTH[\s\S]*HTTP_MAX_HEADER_BYTES/);
  });
});
