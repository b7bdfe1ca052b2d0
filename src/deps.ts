/**
 * @module deps
 * The composition root: builds every dependency from the config once. Routes,
 * runners and scripts receive what they need from here; tests build the same
 * object on their own database.
 */
import type { Logger } from "pino";
import { type AccountMonitor, createAccountMonitor } from "./accounts";
import { type AccountsService, createAccountsService } from "./accounts";
import type { Config } from "./config";
import { createDatabaseAvailability, type DatabaseAvailability } from "./db/availability";
import { createSql, type Sql } from "./db/client";
import { expectedMigrationCount } from "./db/migrate";
import { createEventStore, type EventStore } from "./event-store";
import { type Authenticator, createAuthenticator, type VerifiedAuthConfig } from "./http/auth";
import { createSessionCookieAuth } from "./http/session-cookie";
import type { Clock } from "./lib/clock";
import type { IdGenerator } from "./lib/ids";
import { randomIds, systemClock } from "./platform/system";
import { loadOrCreateDevSecret } from "./platform/dev-secret";
import { createAccountsProjection } from "./accounts";
import { messagingProjection } from "./conversations";
import { subscriptionsProjection } from "./subscriptions";
import type { Projection } from "./projections/projection";
import { createProjectionRunner, type ProjectionRunner } from "./projections/runner";
import { createUnipileGateway, type UnipileGateway } from "./unipile";
import { createRequestBudget } from "./unipile";
import { createMessagingFetcher, type MessagingFetcher } from "./unipile/ingest";
import { createReadService, type ReadService } from "./conversations";
import { createSyncService, type SyncService, syncAccountRowFold } from "./sync";
import { createSendService, type SendService } from "./sends";
import { createSendPacing } from "./sends";
import { createLiveStreams, type LiveStreams } from "./live";
import { createSubscriptionService, createSubscriptionWorker, type SubscriptionService, type SubscriptionWorker } from "./subscriptions";

/** The account rows: the accounts' own events, and the sync's progress on them (sync/). */
export const accountsProjection = createAccountsProjection([syncAccountRowFold]);

/** Every projection the service runs, replays (`bun run replay`) and verifies, in the order they are applied. */
export function allProjections(): Projection[] {
  return [accountsProjection, messagingProjection, subscriptionsProjection];
}

export interface Deps {
  config: Config;
  logger: Logger;
  sql: Sql;
  /** A second pool, without DATABASE_STATEMENT_TIMEOUT_MS, for rebuilds and verification. */
  maintenanceSql: Sql;
  /** Requests are refused at once while the database cannot be reached. */
  database: DatabaseAvailability;
  eventStore: EventStore;
  projections: readonly Projection[];
  runner: ProjectionRunner;
  auth: VerifiedAuthConfig;
  authenticator: Authenticator;
  clock: Clock;
  ids: IdGenerator;
  expectedMigrations: number;
  accounts: AccountsService;
  accountMonitor: AccountMonitor;
  messaging: { sends: SendService; reads: ReadService; fetcher: MessagingFetcher };
  /** Open server-sent event streams. */
  live: LiveStreams;
  /** Polling, history import and gap filling (started by main.ts when SYNC_ENABLED). */
  sync: SyncService;
  /** Webhook subscriptions: commands, and the delivery worker (started by main.ts when SUBSCRIPTIONS_ENABLED). */
  subscriptions: { service: SubscriptionService; worker: SubscriptionWorker };
  unipile: {
    gateway: UnipileGateway;
    /** `sandbox` when the service talks to its own Unipile sandbox. */
    mode: "remote" | "sandbox";
    /** Expected in the Unipile-Auth header of every webhook. */
    webhookSecret: string;
    /** In sandbox mode: where the sandbox's controls are, and its API key (the console forwards to them). */
    sandboxControls: { url: string; apiKey: string } | null;
  };
}

export interface DepsOptions {
  /** The database to use (the embedded server's when DATABASE_URL is unset). */
  databaseUrl: string;
  logger: Logger;
  sql?: Sql;
  clock?: Clock;
  ids?: IdGenerator;
  /** Where Unipile is: the configured DSN, or the sandbox started beside the service. */
  unipile: { dsn: string; accessToken: string; mode: "remote" | "sandbox"; webhookSecret: string };
}

export function createDeps(config: Config, options: DepsOptions): Deps {
  const { sql, maintenanceSql } = databasePools(config, options);
  const core = coreOf(config, options, sql, maintenanceSql);
  const { logger, eventStore, runner, gateway, clock, ids, projections } = core;
  const auth = resolveAuth(config);
  const accounts = createAccountsService({
    sql,
    eventStore,
    gateway,
    runner,
    clock,
    ids,
    logger: logger.child({ component: "accounts" }),
    qrExpiryMs: config.accounts.qrExpiryMs,
  });
  return {
    config,
    logger,
    sql,
    maintenanceSql,
    database: createDatabaseAvailability({ probe: () => sql`select 1`, logger: logger.child({ component: "database" }) }),
    eventStore,
    projections,
    runner,
    auth,
    authenticator: createAuthenticator(auth, config.session.secrets.length > 0 ? { cookies: createSessionCookieAuth(config.session.secrets), trustedOrigins: config.session.trustedOrigins } : undefined),
    clock,
    ids,
    expectedMigrations: expectedMigrationCount(),
    accounts,
    accountMonitor: createAccountMonitor({
      sql,
      gateway,
      accounts,
      clock,
      logger: logger.child({ component: "account-monitor" }),
      expiryIntervalMs: config.accounts.expiryIntervalMs,
      checkIntervalMs: config.accounts.checkIntervalMs,
    }),
    messaging: messagingOf(core),
    live: createLiveStreams({
      sql,
      runner,
      projections,
      logger: logger.child({ component: "live" }),
      heartbeatMs: config.live.heartbeatMs,
      maxStreamsPerUser: config.live.maxStreamsPerUser,
    }),
    sync: createSyncService({ sql, eventStore, gateway, clock, ids, logger: logger.child({ component: "sync" }), settings: config.sync }),
    subscriptions: subscriptionsOf(core),
    unipile: {
      gateway,
      mode: options.unipile.mode,
      webhookSecret: options.unipile.webhookSecret,
      sandboxControls: options.unipile.mode === "sandbox" ? { url: options.unipile.dsn, apiKey: options.unipile.accessToken } : null,
    },
  };
}

function databasePools(config: Config, options: DepsOptions): { sql: Sql; maintenanceSql: Sql } {
  const sql =
    options.sql ??
    createSql({
      url: options.databaseUrl,
      max: config.database.poolMax,
      connectTimeoutMs: config.database.connectTimeoutMs,
      statementTimeoutMs: config.database.statementTimeoutMs,
    });
  // Rebuilds and verification build indexes and compare whole tables: no statement timeout. Connects on first use.
  const maintenanceSql =
    options.sql ??
    createSql({ url: options.databaseUrl, max: 3, connectTimeoutMs: config.database.connectTimeoutMs, applicationName: "commsync-unipile-maintenance" });
  return { sql, maintenanceSql };
}

/** What every feature's service is built on: the log, the projection runner, Unipile, time and ids. */
interface Core {
  config: Config;
  logger: Logger;
  sql: Sql;
  eventStore: EventStore;
  runner: ProjectionRunner;
  gateway: UnipileGateway;
  clock: Clock;
  ids: IdGenerator;
  projections: Projection[];
}

function coreOf(config: Config, options: DepsOptions, sql: Sql, maintenanceSql: Sql): Core {
  const logger = options.logger;
  const projections = allProjections();
  return {
    config,
    logger,
    sql,
    eventStore: createEventStore(sql),
    runner: createProjectionRunner({
      sql,
      maintenanceSql,
      projections,
      batchSize: config.projections.batchSize,
      pollIntervalMs: config.projections.pollIntervalMs,
      logger: logger.child({ component: "projections" }),
    }),
    gateway: createUnipileGateway({
      dsn: options.unipile.dsn,
      accessToken: options.unipile.accessToken,
      timeoutMs: config.unipile.timeoutMs,
      logger: logger.child({ component: "unipile" }),
      budget: createRequestBudget({ perSecond: config.operations.unipile.maxRequestsPerSecond }),
    }),
    clock: options.clock ?? systemClock,
    ids: options.ids ?? randomIds,
    projections,
  };
}

function messagingOf({ config, logger, sql, eventStore, gateway, runner, clock, ids }: Core): Deps["messaging"] {
  const pacing = createSendPacing(config.operations.sendPacing, { sql });
  return {
    sends: createSendService({ sql, eventStore, gateway, runner, clock, ids, logger: logger.child({ component: "messaging" }), pacing }),
    reads: createReadService({ sql, eventStore, gateway, runner, clock }),
    fetcher: createMessagingFetcher({
      sql,
      eventStore,
      gateway,
      clock,
      logger: logger.child({ component: "unipile-lookups" }),
      concurrency: { global: config.operations.unipile.lookupConcurrency, perAccount: config.operations.unipile.lookupConcurrencyPerAccount },
    }),
  };
}

function subscriptionsOf({ config, logger, sql, eventStore, runner, clock, ids, projections }: Core): Deps["subscriptions"] {
  const s = config.subscriptions;
  const service = createSubscriptionService({ sql, eventStore, runner, clock, ids, secretOverlapMs: s.secretOverlapMs });
  const worker = createSubscriptionWorker({
    sql,
    runner,
    projections,
    service,
    logger: logger.child({ component: "subscriptions" }),
    replica: `${process.pid}:${ids.uuid()}`,
    settings: {
      maxInFlight: s.maxInFlight,
      timeoutMs: s.timeoutMs,
      allowPrivate: s.allowPrivate,
      leaseMs: s.leaseMs,
      pollMs: s.pollMs,
      retry: { baseMs: s.retryBaseMs, maxMs: s.retryMaxMs, disableAfterFailures: s.disableAfterFailures, disableAfterMs: s.disableAfterMs },
    },
  });
  return { service, worker };
}

/** In development mode the signing secret comes from (or is created in) the dev secret file. */
export function resolveAuth(config: Config): VerifiedAuthConfig {
  const { auth } = config;
  if (auth.mode !== "development") return auth;
  return {
    mode: "secret",
    secret: loadOrCreateDevSecret(auth.secretFile),
    algorithms: auth.algorithms,
    issuer: auth.issuer,
    audience: auth.audience,
    maxTokenAgeSeconds: auth.maxTokenAgeSeconds,
  };
}
