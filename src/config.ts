/**
 * @module config
 * The only reader of the environment. `loadConfig(env)` parses it once with zod
 * (the schema: config-env.ts) and returns a typed, frozen `Config`; a bad
 * environment throws a `ConfigError` that lists every problem, and `main.ts`
 * stops on it. Everything else receives the `Config` (or a part of it) as an
 * argument.
 */
import { crossFieldProblems, EnvSchema, type ParsedEnv } from "./config-env";
import { type OperationsConfig, operationsConfig } from "./operations-config";

export { CONFIG_VARIABLES } from "./config-env";

/** A token's longest lifetime by default: a day, or in development mode the printed token's 30 days. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 24 * 3600;
export const DEVELOPMENT_MAX_TOKEN_AGE_SECONDS = 30 * 86_400;

interface TokenRules {
  algorithms: string[];
  issuer?: string;
  audience?: string;
  /** Longest token lifetime accepted (`exp − iat`), in seconds. */
  maxTokenAgeSeconds: number;
}

/**
 * How bearer tokens are verified. `session`: outside development, with only
 * NEXTAUTH_SECRET / AUTH_SECRET set, the web app's session cookie is the one
 * credential and bearer tokens are refused.
 */
export type AuthConfig = (
  | { mode: "secret"; secret: string }
  | { mode: "jwks"; jwksUrl: string }
  | { mode: "session" }
  | { mode: "development"; secretFile: string }
) & TokenRules;

export interface Config {
  env: "development" | "test" | "production";
  host: string;
  port: number;
  logLevel: string;
  /** auto: pretty in development on a terminal, JSON otherwise. */
  logFormat: "auto" | "json" | "pretty";
  database: {
    /** Unset: the service starts an embedded Postgres (development only). */
    url?: string;
    poolMax: number;
    /** A connection attempt fails after this long (CONNECT_TIMEOUT → 503). */
    connectTimeoutMs: number;
    /** Postgres cancels a statement running longer (57014 → 503); 0: no limit. */
    statementTimeoutMs: number;
    embedded: { dir: string; port: number };
  };
  auth: AuthConfig;
  /** The web app's session cookie (NextAuth 4 / Auth.js 5): the secrets it is encrypted with, and origins trusted for CSRF. */
  session: { secrets: string[]; trustedOrigins: string[] };
  unipile: {
    /** Unset: the Unipile sandbox runs beside the service and is used instead. */
    dsn?: string;
    accessToken?: string;
    webhookSecret?: string;
    /** Outside production, without UNIPILE_WEBHOOK_SECRET: where the generated secret is kept. */
    webhookSecretFile: string;
    timeoutMs: number;
    publicUrl?: string;
  };
  sandbox: {
    port: number;
    accessToken?: string;
    /** Where the development sandbox keeps its state across restarts; null: in memory only. */
    stateFile: string | null;
  };
  http: {
    bodyLimitBytes: number;
    /** Body limit of POST /api/unipile/message (attachments). */
    messageBodyLimitBytes: number;
    /** Largest attachment one send accepts. */
    maxAttachmentBytes: number;
    /** Webhook deliveries inside the service at once; past it, 503 with Retry-After. */
    webhookMaxInFlight: number;
    /** Other API requests inside the service at once (event streams have their own bound). */
    apiMaxInFlight: number;
    /** How deep a JSON body may nest; deeper is 400 JSON_TOO_DEEP, before parsing. */
    jsonMaxDepth: number;
    /** Request line and headers, in bytes; larger is 431 HEADERS_TOO_LARGE (see http/server for Bun's own limit). */
    maxHeaderBytes: number;
    /** Browser origins allowed to call the API (CORS); the service's own origin (PUBLIC_URL) needs none. */
    corsOrigins: string[];
  };
  live: {
    /** Comment heartbeats on idle event streams; well inside the server's 60 s idle timeout. */
    heartbeatMs: number;
    maxStreamsPerUser: number;
  };
  projections: { enabled: boolean; pollIntervalMs: number; batchSize: number; readyMaxLagEvents: number };
  accounts: {
    /** A QR code (or pairing code) not scanned within this time ends the attempt. */
    qrExpiryMs: number;
    expiryIntervalMs: number;
    /** Drift correction: every live account is checked against Unipile this often. */
    checkIntervalMs: number;
    /** Run the expiry and status-check loops in this process. */
    backgroundJobs: boolean;
  };
  sync: {
    /** Start the background sync with the service (POST /api/unipile/start-sync starts it anyway). */
    enabled: boolean;
    /** Time between two polls of one account (jittered ±20%). */
    intervalMs: number;
    /** The poll re-reads this much before its position (out-of-order arrivals, clock skew). */
    overlapMs: number;
    /** An account's lease: a crashed instance's accounts are taken over after this. */
    leaseMs: number;
    /** Accounts one instance syncs at the same time. */
    concurrency: number;
    /** Longest wait after failures. */
    maxBackoffMs: number;
    /** An account not synced for this long (service or Unipile down) gets a recorded catch-up. */
    catchUpAfterMs: number;
  };
  subscriptions: {
    /** Run the delivery worker in this process (one replica delivers each subscription either way). */
    enabled: boolean;
    /** Allow private, loopback and link-local targets (development and tests only). */
    allowPrivate: boolean;
    /** Deliveries of one subscription in flight at once. */
    maxInFlight: number;
    /** A receiver not answering within this is a failure. */
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    disableAfterFailures: number;
    disableAfterMs: number;
    /** A subscription's delivery lease; a crashed replica's subscriptions are taken over after this. */
    leaseMs: number;
    pollMs: number;
    /** The previous secret stays valid this long after a rotation. */
    secretOverlapMs: number;
  };
  shutdownTimeoutMs: number;
  /** Metrics, fair admission, rate limits, send pacing and the Unipile budget (operations-config.ts). */
  operations: OperationsConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws `ConfigError` listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`)),
    ...crossFieldProblems(env),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    env: e.NODE_ENV,
    host: e.HOST ?? (e.NODE_ENV === "development" ? "127.0.0.1" : "0.0.0.0"),
    logFormat: e.LOG_FORMAT,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      poolMax: e.DATABASE_POOL_MAX,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      embedded: { dir: e.EMBEDDED_POSTGRES_DIR, port: e.EMBEDDED_POSTGRES_PORT },
    },
    auth: authConfig(e),
    session: sessionConfig(e),
    unipile: {
      dsn: e.UNIPILE_DSN?.replace(/\/+$/, ""),
      accessToken: e.UNIPILE_ACCESS_TOKEN,
      webhookSecret: e.UNIPILE_WEBHOOK_SECRET,
      webhookSecretFile: e.UNIPILE_WEBHOOK_SECRET_FILE,
      timeoutMs: e.UNIPILE_TIMEOUT_MS,
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    },
    sandbox: { port: e.SANDBOX_PORT, accessToken: e.SANDBOX_ACCESS_TOKEN, stateFile: sandboxStateFile(e.SANDBOX_STATE_FILE, e.NODE_ENV) },
    http: { bodyLimitBytes: e.BODY_LIMIT_BYTES, messageBodyLimitBytes: e.MESSAGE_BODY_LIMIT_BYTES, maxAttachmentBytes: e.MAX_ATTACHMENT_BYTES, webhookMaxInFlight: e.WEBHOOK_MAX_IN_FLIGHT, apiMaxInFlight: e.API_MAX_IN_FLIGHT, jsonMaxDepth: e.JSON_MAX_DEPTH, maxHeaderBytes: e.HTTP_MAX_HEADER_BYTES, corsOrigins: e.CORS_ORIGINS ?? [] },
    live: { heartbeatMs: e.SSE_HEARTBEAT_MS, maxStreamsPerUser: e.SSE_MAX_STREAMS_PER_USER },
    projections: {
      enabled: e.PROJECTIONS_ENABLED,
      pollIntervalMs: e.PROJECTION_POLL_MS,
      batchSize: e.PROJECTION_BATCH_SIZE,
      readyMaxLagEvents: e.READY_MAX_LAG_EVENTS,
    },
    accounts: {
      qrExpiryMs: e.QR_EXPIRY_MS,
      expiryIntervalMs: e.ACCOUNT_EXPIRY_INTERVAL_MS,
      checkIntervalMs: e.ACCOUNT_CHECK_INTERVAL_MS,
      backgroundJobs: e.BACKGROUND_JOBS_ENABLED,
    },
    sync: syncConfig(e),
    subscriptions: subscriptionsConfig(e),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    operations: operationsConfig(e),
  });
}

/** Bearer tokens: a shared secret, a JWKS URL, the session cookie only, or (neither) development mode. */
function authConfig(e: ParsedEnv): AuthConfig {
  const sessionOnly = !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL && e.NODE_ENV !== "development" && (e.NEXTAUTH_SECRET ?? e.AUTH_SECRET) !== undefined;
  const development = !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL && !sessionOnly;
  const maxTokenAgeSeconds = e.AUTH_MAX_TOKEN_AGE ?? (development ? DEVELOPMENT_MAX_TOKEN_AGE_SECONDS : DEFAULT_MAX_TOKEN_AGE_SECONDS);
  const jwtOptions = { issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE, maxTokenAgeSeconds };
  return e.AUTH_JWT_SECRET
    ? { mode: "secret", secret: e.AUTH_JWT_SECRET, algorithms: e.AUTH_ALGORITHMS ?? ["HS256"], ...jwtOptions }
    : e.AUTH_JWKS_URL
      ? { mode: "jwks", jwksUrl: e.AUTH_JWKS_URL, algorithms: e.AUTH_ALGORITHMS ?? ["RS256", "ES256", "EdDSA"], ...jwtOptions }
      : sessionOnly
        ? { mode: "session", algorithms: [], ...jwtOptions }
        : { mode: "development", secretFile: e.AUTH_DEV_SECRET_FILE, algorithms: ["HS256"], ...jwtOptions };
}

function sessionConfig(e: ParsedEnv): Config["session"] {
  return {
    secrets: [e.NEXTAUTH_SECRET, e.AUTH_SECRET].filter((s): s is string => s !== undefined),
    // CORS_ORIGINS are trusted too: one setting lets a browser app on another origin use the cookie.
    trustedOrigins: [...new Set([...(e.AUTH_TRUSTED_ORIGINS ?? []), ...(e.CORS_ORIGINS ?? []), ...(e.PUBLIC_URL ? [e.PUBLIC_URL] : [])].map((url) => new URL(url).origin))],
  };
}

function syncConfig(e: ParsedEnv): Config["sync"] {
  return {
    enabled: e.SYNC_ENABLED,
    intervalMs: e.SYNC_INTERVAL_MS,
    overlapMs: e.SYNC_OVERLAP_MS,
    leaseMs: e.SYNC_LEASE_MS,
    concurrency: e.SYNC_CONCURRENCY,
    maxBackoffMs: e.SYNC_MAX_BACKOFF_MS,
    catchUpAfterMs: e.SYNC_CATCH_UP_AFTER_MS ?? Math.max(3 * e.SYNC_INTERVAL_MS, 60_000),
  };
}

function subscriptionsConfig(e: ParsedEnv): Config["subscriptions"] {
  return {
    enabled: e.SUBSCRIPTIONS_ENABLED,
    allowPrivate: e.SUBSCRIPTIONS_ALLOW_PRIVATE === undefined ? e.NODE_ENV === "development" : e.SUBSCRIPTIONS_ALLOW_PRIVATE === "true" || e.SUBSCRIPTIONS_ALLOW_PRIVATE === "1",
    maxInFlight: e.SUBSCRIPTIONS_MAX_IN_FLIGHT,
    timeoutMs: e.SUBSCRIPTIONS_TIMEOUT_MS,
    retryBaseMs: e.SUBSCRIPTIONS_RETRY_BASE_MS,
    retryMaxMs: e.SUBSCRIPTIONS_RETRY_MAX_MS,
    disableAfterFailures: e.SUBSCRIPTIONS_DISABLE_AFTER_FAILURES,
    disableAfterMs: e.SUBSCRIPTIONS_DISABLE_AFTER_MS,
    leaseMs: e.SUBSCRIPTIONS_LEASE_MS,
    pollMs: e.SUBSCRIPTIONS_POLL_MS,
    secretOverlapMs: e.SUBSCRIPTIONS_SECRET_OVERLAP_MS,
  };
}

/** Where the sandbox keeps its state: `.data/sandbox.json` in development; in memory (null) in tests and production, or with "off". */
function sandboxStateFile(value: string | undefined, env: string): string | null {
  if (value === "off") return null;
  return value ?? (env === "development" ? ".data/sandbox.json" : null);
}
