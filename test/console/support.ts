/**
 * The service as the console's browser tests need it: a real HTTP server on
 * loopback in development auth mode (so the console signs in by itself) and
 * sandbox mode (so its "simulate" controls exist), with its own database and
 * Unipile sandbox, the projection runner and the sync running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { createDeps, type Deps } from "../../src/deps";
import { signToken } from "../../src/http/auth";
import { startHttpServer } from "../../src/http/server";
import { createLogger } from "../../src/logger";
import type { RunningSandbox } from "../../src/sandbox";
import { ensureWebhooks } from "../../src/unipile/webhook-registration";
import { control, startTestSandbox, TOKEN } from "../sandbox/support";
import { stopDeps } from "../support/harness";
import { createTestDatabase } from "../support/test-database";

export interface ConsoleService {
  url: string;
  deps: Deps;
  sandbox: RunningSandbox;
  control<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  /** A token signed with the service's development secret. */
  token(sub: string, roles?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleService(env: Record<string, string> = {}): Promise<ConsoleService> {
  const tdb = await createTestDatabase();
  const sandbox = await startTestSandbox();
  const secretDir = mkdtempSync(join(tmpdir(), "console-auth-"));
  const webhookSecret = "console-webhook-secret-0123456789";
  const config = loadConfig({
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    DATABASE_URL: tdb.url,
    AUTH_DEV_SECRET_FILE: join(secretDir, "dev-auth-secret"),
    UNIPILE_WEBHOOK_SECRET: webhookSecret,
    UNIPILE_TIMEOUT_MS: "3000",
    PROJECTION_POLL_MS: "50",
    SYNC_INTERVAL_MS: "500",
    ...env,
  });
  const logger = createLogger({ level: "warn" }, { write: () => undefined });
  const deps = createDeps(config, { databaseUrl: tdb.url, logger, sql: tdb.sql, unipile: { dsn: sandbox.url, accessToken: TOKEN, mode: "sandbox", webhookSecret } });
  const server = startHttpServer(createApp(deps), { hostname: "127.0.0.1", port: 0, maxHeaderBytes: config.http.maxHeaderBytes, idleTimeout: 60 });
  const url = `http://127.0.0.1:${server.port}`;
  const registered = await ensureWebhooks(deps.unipile.gateway, { url: `${url}/api/unipile/webhook`, secret: webhookSecret });
  if (!registered.ok) throw new Error(`webhook registration failed: ${JSON.stringify(registered.error)}`);
  await deps.runner.start();
  deps.sync.start();
  return {
    url,
    deps,
    sandbox,
    control: (method, path, body) => control(sandbox.url, method, path, body),
    token: (sub, roles) => {
      const auth = deps.auth;
      if (auth.mode !== "secret") throw new Error("the console service signs with a secret");
      return signToken(auth.secret, { sub, roles, issuer: auth.issuer, audience: auth.audience, expiresIn: "1h" });
    },
    async close() {
      await stopDeps(deps);
      await server.stop(true);
      await sandbox.stop();
      await tdb.drop();
      rmSync(secretDir, { recursive: true, force: true });
    },
  };
}
