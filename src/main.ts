/**
 * @module main
 * Entry point: config → (embedded Postgres) → migrations → deps → HTTP server
 * and projection runner; SIGINT/SIGTERM stop everything in reverse order.
 * Errors no caller caught are logged with their stack (see `guardProcess`).
 */
import { createApp } from "./app";
import { type Config, ConfigError, loadConfig } from "./config";
import { runMigrations } from "./db/migrate";
import { createDeps, type Deps } from "./deps";
import { developmentToken } from "./http/auth";
import { startHttpServer } from "./http/server";
import { formatDuration } from "./lib/duration";
import { createLogger, type Logger, logFormat, redactUrl } from "./logger";
import { loadOrCreateDevSecret } from "./platform/dev-secret";
import { startEmbeddedPostgres } from "./platform/embedded-postgres";
import { answerHelp } from "./platform/help";
import { guardProcess } from "./platform/process-guard";
import { startSandbox } from "./sandbox";
import { ensureWebhooks } from "./unipile";

type Cleanup = { name: string; run: () => Promise<unknown> };

const USAGE = `usage: ./scripts/start   (or: bun run start, bun src/main.ts)

Starts commsync-unipile. Configured by environment variables only (.env is read;
every variable is listed and explained in .env.example). With none set it runs in
development mode on http://127.0.0.1:3000: an embedded Postgres (.data/postgres),
the Unipile sandbox (state in .data/sandbox.json), and a printed 30-day token.
Ctrl-C or SIGTERM stops everything it started.`;

async function main() {
  answerHelp(USAGE);
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, pretty: logFormat(config.logFormat, config.env, process.stdout.isTTY === true) === "pretty" });
  const cleanups: Cleanup[] = [];
  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    for (const cleanup of cleanups.reverse()) {
      const started = Date.now();
      await cleanup.run().catch((error) => logger.error({ err: error, step: cleanup.name }, "shutdown step failed"));
      const ms = Date.now() - started;
      logger[ms > 2000 ? "warn" : "debug"]({ step: cleanup.name, ms }, "shutdown step done");
    }
    clearTimeout(timer);
    logger.info("stopped");
    process.exit(exitCode);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  guardProcess(process, logger, (reason) => void shutdown(reason, 1));

  try {
    await start(config, logger, cleanups);
  } catch (error) {
    logger.fatal({ err: error }, "start-up failed");
    await shutdown("start-up failure", 1);
  }
}

async function start(config: Config, logger: Logger, cleanups: Cleanup[]) {
  const databaseUrl = config.database.url ?? (await embeddedDatabase(config, logger, cleanups));
  logger.info({ database: redactUrl(databaseUrl) }, "applying migrations");
  await runMigrations(databaseUrl);

  const unipile = await resolveUnipile(config, logger, cleanups);
  const deps = createDeps(config, { databaseUrl, logger, unipile });
  // Everything that queries has stopped by then: a connection still busy is one a Postgres outage left behind.
  cleanups.push({ name: "database pool", run: () => Promise.all([deps.sql.end({ timeout: 2 }), deps.maintenanceSql.end({ timeout: 2 })]) });
  cleanups.push({ name: "database probe", run: deps.database.stop });

  await startBackground(config, deps, cleanups);

  const app = createApp(deps);
  const server = startHttpServer(app, { hostname: config.host, port: config.port, idleTimeout: 60, maxHeaderBytes: config.http.maxHeaderBytes, logger });
  cleanups.push({
    name: "http server",
    // Stops accepting at once; in-flight requests finish (bounded by the shutdown timeout).
    run: () => Promise.race([server.stop(false), Bun.sleep(config.shutdownTimeoutMs).then(() => server.stop(true))]),
  });
  // Runs before the server's stop (cleanups run in reverse): open event streams would hold it up.
  cleanups.push({ name: "event streams", run: deps.live.closeAll });

  await registerWebhooks(config, deps, unipile, server.port, logger);
  const base = `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${server.port}`;
  logger.info({ url: base, console: `${base}/`, health: `${base}/health`, ready: `${base}/ready`, docs: `${base}/docs`, openapi: `${base}/openapi.json` }, "commsync-unipile listening");
  if (config.auth.mode === "development" && deps.auth.mode === "secret") await printDevelopmentToken(config.auth.secretFile, deps.auth);
}

/** Without DATABASE_URL (outside production): the embedded Postgres, stopped on the way out. */
async function embeddedDatabase(config: Config, logger: Logger, cleanups: Cleanup[]): Promise<string> {
  if (config.env === "production") throw new Error("DATABASE_URL is required in production");
  const pgLogger = logger.child({ component: "embedded-postgres" });
  const embedded = await startEmbeddedPostgres({
    ...config.database.embedded,
    handlesSignals: true,
    onLog: (line) => pgLogger.debug(line.trim()),
    onTakeover: (found) =>
      found.kind === "stale"
        ? pgLogger.info({ pid: found.pid }, "removed a stale postmaster.pid (no Postgres of this data folder runs under its pid)")
        : pgLogger.warn({ pid: found.pid, shutdown: found.how }, "stopped an embedded Postgres left running by a killed service"),
    onExit: (how) => pgLogger.error(how, "the embedded Postgres exited; requests that need the database get 503 until it is back"),
  });
  cleanups.push({ name: "embedded postgres", run: embedded.stop });
  logger.warn({ dir: config.database.embedded.dir, port: config.database.embedded.port }, "DATABASE_URL is not set: using the embedded Postgres (development mode)");
  return embedded.url;
}

/** The projection runner, the lookups, the account monitor, the sync and the subscription deliveries, as configured. */
async function startBackground(config: Config, deps: Deps, cleanups: Cleanup[]) {
  if (config.projections.enabled) {
    await deps.runner.start();
    cleanups.push({ name: "projection runner", run: deps.runner.stop });
  }

  cleanups.push({ name: "unipile lookups", run: deps.messaging.fetcher.stop });

  if (config.accounts.backgroundJobs) {
    deps.accountMonitor.start();
    cleanups.push({ name: "account monitor", run: deps.accountMonitor.stop });
  }

  if (config.sync.enabled) deps.sync.start();
  // POST /api/unipile/start-sync may start it later: stopped on the way out either way.
  cleanups.push({ name: "sync", run: deps.sync.stop });

  if (config.subscriptions.enabled) {
    deps.subscriptions.worker.start();
    cleanups.push({ name: "subscription deliveries", run: deps.subscriptions.worker.stop });
  }
}

/** Registers our webhooks at Unipile when it can reach us: at PUBLIC_URL, or (sandbox) on this host. */
async function registerWebhooks(config: Config, deps: Deps, unipile: Unipile, port: number | undefined, logger: Logger) {
  const webhookBase = config.unipile.publicUrl ?? (unipile.mode === "sandbox" ? `http://127.0.0.1:${port}` : undefined);
  if (webhookBase) {
    const registered = await ensureWebhooks(deps.unipile.gateway, {
      url: `${webhookBase}/api/unipile/webhook`,
      secret: unipile.webhookSecret,
      logger: logger.child({ component: "webhook-registration" }),
    });
    if (registered.ok) logger.info({ url: `${webhookBase}/api/unipile/webhook`, ...summarise(registered.value) }, "unipile webhooks registered");
    else logger.error({ failure: registered.error }, "could not register the unipile webhooks; relying on polling");
  } else {
    logger.warn("PUBLIC_URL is not set: webhooks are not registered by the service");
  }
}

/** Development mode: a token for dev-user, printed where the developer sees it. */
async function printDevelopmentToken(secretFile: string, auth: Parameters<typeof developmentToken>[0]) {
  const { token, lifetimeSeconds } = await developmentToken(auth);
  console.warn(
    [
      "",
      "  ┌─ DEVELOPMENT MODE: no AUTH_JWT_SECRET or AUTH_JWKS_URL is configured.",
      `  │  Tokens are signed with a development secret kept in ${secretFile}.`,
      `  │  Never run like this in production. A token for user dev-user (${formatDuration(lifetimeSeconds)}):`,
      `  │  ${token}`,
      "  └─ More tokens: bun run token -- --sub <user> [--role auditor]",
      "",
    ].join("\n"),
  );
}

type Unipile = Awaited<ReturnType<typeof resolveUnipile>>;

/** The configured Unipile, or (outside production) the sandbox started on SANDBOX_PORT. */
async function resolveUnipile(config: Config, logger: Logger, cleanups: Cleanup[]) {
  const webhookSecret = config.unipile.webhookSecret ?? developmentWebhookSecret(config, logger);
  if (config.unipile.dsn && config.unipile.accessToken) {
    return { dsn: config.unipile.dsn, accessToken: config.unipile.accessToken, mode: "remote" as const, webhookSecret };
  }
  if (config.env === "production") throw new Error("UNIPILE_DSN is required in production");
  const accessToken = config.sandbox.accessToken ?? "sandbox-access-token";
  const stateFile = config.sandbox.stateFile ?? undefined;
  const sandbox = await startSandbox({ port: config.sandbox.port, accessToken, ...(stateFile ? { stateFile } : {}) });
  cleanups.push({ name: "unipile sandbox", run: sandbox.stop });
  logger.warn(
    { url: sandbox.url, controls: `${sandbox.url}/sandbox`, stateFile: stateFile ?? "in memory", restoredAccounts: sandbox.restoredAccounts },
    "UNIPILE_DSN is not set: using the Unipile sandbox (sandbox mode)",
  );
  return { dsn: sandbox.url, accessToken, mode: "sandbox" as const, webhookSecret };
}

/** Without UNIPILE_WEBHOOK_SECRET (outside production): a generated secret, kept in a file so restarts keep it. */
function developmentWebhookSecret(config: Config, logger: Logger): string {
  if (config.env === "production") throw new Error("UNIPILE_WEBHOOK_SECRET is required in production");
  const secret = loadOrCreateDevSecret(config.unipile.webhookSecretFile);
  logger.info({ file: config.unipile.webhookSecretFile }, "UNIPILE_WEBHOOK_SECRET is not set: using the generated webhook secret kept in this file");
  return secret;
}

function summarise(report: { kept: unknown[]; created: unknown[]; deleted: unknown[] }) {
  return { kept: report.kept.length, created: report.created.length, deleted: report.deleted.length };
}

await main();
