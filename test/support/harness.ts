/**
 * The app on real dependencies for a test file: its own database, its own
 * Unipile sandbox on loopback (reached through the real SDK), a known JWT
 * secret, and the log lines captured so tests can check what is (not) logged.
 * Requests go through `app.request`; the app is also served on a loopback
 * port, registered as the sandbox's webhook target, so deliveries are real
 * HTTP.
 */
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createDeps, type Deps } from "../../src/deps";
import { signToken, type TokenClaims } from "../../src/http/auth";
import { startHttpServer } from "../../src/http/server";
import { createLogger } from "../../src/logger";
import type { RunningSandbox } from "../../src/sandbox";
import { ensureWebhooks } from "../../src/unipile/webhook-registration";
import { control, startTestSandbox, TOKEN } from "../sandbox/support";
import { LOOSE_LIMITS } from "./loose-limits";
import { createTestDatabase, type TestDatabase } from "./test-database";

export const TEST_JWT_SECRET = "test-secret-that-is-long-enough-0123456789";
export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789";

export interface Harness {
  app: ReturnType<typeof createApp>;
  deps: Deps;
  tdb: TestDatabase;
  sandbox: RunningSandbox;
  /** The app's loopback URL (webhooks arrive here). */
  url: string;
  logs: string[];
  token(sub: string, claims?: Omit<TokenClaims, "sub">): Promise<string>;
  request(path: string, init?: RequestInit & { as?: string; roles?: string[]; json?: unknown }): Promise<Response>;
  /** Calls a sandbox control route (`/sandbox/...`). */
  control<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  startRunner?: boolean;
  /** Unipile list page sizes the sync asks for (the service's are 100 chats and 250 messages). */
  syncPageSize?: { chats: number; messages: number };
}

export async function createHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const tdb = await createTestDatabase();
  const sandbox = await startTestSandbox();
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "info",
    DATABASE_URL: tdb.url,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    UNIPILE_DSN: sandbox.url,
    UNIPILE_ACCESS_TOKEN: TOKEN,
    UNIPILE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    UNIPILE_TIMEOUT_MS: "3000",
    PROJECTION_POLL_MS: "50",
    SUBSCRIPTIONS_ALLOW_PRIVATE: "true",
    ...LOOSE_LIMITS,
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger({ level: "info" }, { write: (line: string) => void logs.push(line) });
  const pageSize = options.syncPageSize ? { pageSize: options.syncPageSize } : {};
  const deps = createDeps({ ...config, sync: Object.assign({}, config.sync, pageSize) }, {
    databaseUrl: tdb.url,
    logger,
    sql: tdb.sql,
    unipile: { dsn: sandbox.url, accessToken: TOKEN, mode: "remote", webhookSecret: TEST_WEBHOOK_SECRET },
  });
  const app = createApp(deps);
  const server = startHttpServer(app, { hostname: "127.0.0.1", port: 0, maxHeaderBytes: config.http.maxHeaderBytes });
  const url = `http://127.0.0.1:${server.port}`;
  const registered = await ensureWebhooks(deps.unipile.gateway, { url: `${url}/api/unipile/webhook`, secret: TEST_WEBHOOK_SECRET });
  if (!registered.ok) throw new Error(`webhook registration failed: ${JSON.stringify(registered.error)}`);
  if (options.startRunner !== false) await deps.runner.start();

  const token = (sub: string, claims: Omit<TokenClaims, "sub"> = {}) =>
    signToken(TEST_JWT_SECRET, { issuer: config.auth.issuer, audience: config.auth.audience, ...claims, sub });
  return {
    app,
    deps,
    tdb,
    sandbox,
    url,
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
    control: (method, path, body) => control(sandbox.url, method, path, body),
    async close() {
      await stopDeps(deps);
      await server.stop(true);
      await sandbox.stop();
      await tdb.drop();
    },
  };
}

/** Stops what a set of dependencies runs (streams, workers, sync, lookups, projections, the database gate), in order. */
export async function stopDeps(deps: Deps): Promise<void> {
  await deps.live.closeAll();
  await deps.subscriptions.worker.stop();
  await deps.accountMonitor.stop();
  await deps.sync.stop();
  await deps.messaging.fetcher.stop();
  await deps.runner.stop();
  await deps.database.stop();
}
