/**
 * The app on real dependencies for a test file: its own database, a known JWT
 * secret, and the log lines captured so tests can check what is (not) logged.
 * Requests go through `app.request`, the real HTTP app without a port.
 */
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createDeps, type Deps } from "../../src/deps";
import { signToken, type TokenClaims } from "../../src/http/auth";
import { createLogger } from "../../src/logger";
import { createTestDatabase, type TestDatabase } from "./test-database";

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-0123456789";

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  tdb: TestDatabase;
  logs: string[];
  token(sub: string, claims?: Omit<TokenClaims, "sub">): Promise<string>;
  request(path: string, init?: RequestInit & { as?: string; roles?: string[]; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function createHarness(env: Record<string, string> = {}): Promise<Harness> {
  const tdb = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    DATABASE_URL: tdb.url,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    PROJECTION_POLL_MS: "50",
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger({ level: "info" }, { write: (line: string) => void logs.push(line) });
  const deps = createDeps(config, { databaseUrl: tdb.url, logger, sql: tdb.sql });
  const app = createApp(deps);
  const token = (sub: string, claims: Omit<TokenClaims, "sub"> = {}) =>
    signToken(TEST_JWT_SECRET, { issuer: config.auth.issuer, audience: config.auth.audience, ...claims, sub });
  return {
    app,
    deps,
    tdb,
    logs,
    token,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.as) headers.set("authorization", `Bearer ${await token(init.as, { roles: init.roles })}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return app.request(path, { ...init, headers, body });
    },
    async close() {
      await deps.runner.stop();
      await tdb.drop();
    },
  };
}
