/**
 * @module config-env
 * The environment's schema: every variable config.ts reads, with its type,
 * default and bounds (zod), and the rules across variables. config.ts parses
 * with it and assembles the typed `Config`; `.env.example` documents each
 * variable (a test compares the two lists).
 */
import { z } from "zod";
import { parseDuration } from "./lib/duration";
import { bool, emptyToUndefined, int, OPERATIONS_ENV } from "./operations-config";

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());

const MAX_TOKEN_AGE_LIMITS = { min: 60, max: 365 * 86_400 };

const ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] as const;

export const EnvSchema = z.object({
    NODE_ENV: z.preprocess(emptyToUndefined, z.enum(["development", "test", "production"]).default("development")),
    // Default: 127.0.0.1 in development (it prints a 30-day token), 0.0.0.0 otherwise.
    HOST: optionalString,
    PORT: int(3000, 0, 65535),
    LOG_FORMAT: z.preprocess(emptyToUndefined, z.enum(["auto", "json", "pretty"]).default("auto")),
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional(),
    ),
    DATABASE_POOL_MAX: int(10, 1, 200),
    DATABASE_CONNECT_TIMEOUT_MS: int(2000, 100, 60000),
    DATABASE_STATEMENT_TIMEOUT_MS: int(15000, 0, 3_600_000),
    EMBEDDED_POSTGRES_DIR: z.preprocess(emptyToUndefined, z.string().default(".data/postgres")),
    EMBEDDED_POSTGRES_PORT: int(54329, 1, 65535),
    AUTH_JWT_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, "must be at least 32 characters").optional()),
    AUTH_JWKS_URL: optionalUrl,
    AUTH_ISSUER: optionalString,
    AUTH_AUDIENCE: optionalString,
    AUTH_ALGORITHMS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .transform((v) => v.split(",").map((a) => a.trim()).filter(Boolean))
        .pipe(z.array(z.enum(ALGORITHMS)).min(1))
        .optional(),
    ),
    AUTH_DEV_SECRET_FILE: z.preprocess(emptyToUndefined, z.string().default(".data/dev-auth-secret")),
    AUTH_MAX_TOKEN_AGE: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .transform((v, ctx) => {
          const seconds = parseDuration(v);
          if (seconds !== null && seconds >= MAX_TOKEN_AGE_LIMITS.min && seconds <= MAX_TOKEN_AGE_LIMITS.max) return seconds;
          ctx.addIssue({ code: "custom", message: "must be a duration such as 24h, 30d or 90m, from 1 minute to 365 days" });
          return z.NEVER;
        })
        .optional(),
    ),
    UNIPILE_DSN: optionalUrl,
    UNIPILE_ACCESS_TOKEN: optionalString,
    UNIPILE_WEBHOOK_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
    UNIPILE_TIMEOUT_MS: int(15000, 100, 120000),
    PUBLIC_URL: optionalUrl,
    CORS_ORIGINS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .transform((v) => v.split(",").map((o) => o.trim()).filter(Boolean))
        .pipe(z.array(z.url().transform((u) => new URL(u).origin)))
        .optional(),
    ),
    SANDBOX_PORT: int(13111, 0, 65535),
    SANDBOX_ACCESS_TOKEN: optionalString,
    SANDBOX_STATE_FILE: optionalString,
    UNIPILE_WEBHOOK_SECRET_FILE: z.preprocess(emptyToUndefined, z.string().default(".data/dev-webhook-secret")),
    BODY_LIMIT_BYTES: int(1024 * 1024, 1024),
    JSON_MAX_DEPTH: int(64, 1, 10000),
    HTTP_MAX_HEADER_BYTES: int(16 * 1024, 1024, 1024 * 1024),
    WEBHOOK_MAX_IN_FLIGHT: int(256, 1, 100000),
    API_MAX_IN_FLIGHT: int(256, 1, 100000),
    SSE_HEARTBEAT_MS: int(15000, 100, 50000),
    SSE_MAX_STREAMS_PER_USER: int(5, 1, 100),
    MESSAGE_BODY_LIMIT_BYTES: int(64 * 1024 * 1024, 1024),
    MAX_ATTACHMENT_BYTES: int(15 * 1024 * 1024, 1),
    PROJECTION_POLL_MS: int(1000, 10, 60000),
    PROJECTION_BATCH_SIZE: int(1000, 1, 10000),
    SHUTDOWN_TIMEOUT_MS: int(10000, 0, 120000),
    READY_MAX_LAG_EVENTS: int(10000, 0),
    PROJECTIONS_ENABLED: bool(true),
    QR_EXPIRY_MS: int(5 * 60 * 1000, 1000),
    ACCOUNT_EXPIRY_INTERVAL_MS: int(5000, 10),
    ACCOUNT_CHECK_INTERVAL_MS: int(60000, 10),
    BACKGROUND_JOBS_ENABLED: bool(true),
    SYNC_ENABLED: bool(true),
    SYNC_INTERVAL_MS: int(30000, 10),
    SYNC_OVERLAP_MS: int(5 * 60 * 1000, 0),
    SYNC_LEASE_MS: int(60000, 200),
    NEXTAUTH_SECRET: optionalString,
    AUTH_SECRET: optionalString,
    AUTH_TRUSTED_ORIGINS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .transform((v) => v.split(",").map((o) => o.trim()).filter(Boolean))
        .pipe(z.array(z.url({ protocol: /^https?$/, error: "must be comma-separated http(s) origins" })))
        .optional(),
    ),
    SYNC_CONCURRENCY: int(4, 1, 64),
    SYNC_MAX_BACKOFF_MS: int(5 * 60 * 1000, 10),
    SYNC_CATCH_UP_AFTER_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(10).optional()),
    SUBSCRIPTIONS_ENABLED: bool(true),
    SUBSCRIPTIONS_ALLOW_PRIVATE: z.preprocess(emptyToUndefined, z.enum(["true", "false", "1", "0"]).optional()),
    SUBSCRIPTIONS_MAX_IN_FLIGHT: int(8, 1, 256),
    SUBSCRIPTIONS_TIMEOUT_MS: int(10000, 100, 60000),
    SUBSCRIPTIONS_RETRY_BASE_MS: int(5000, 10),
    SUBSCRIPTIONS_RETRY_MAX_MS: int(3_600_000, 10),
    SUBSCRIPTIONS_DISABLE_AFTER_FAILURES: int(100, 1),
    SUBSCRIPTIONS_DISABLE_AFTER_MS: int(3 * 86_400_000, 1000),
    SUBSCRIPTIONS_LEASE_MS: int(30000, 300),
    SUBSCRIPTIONS_POLL_MS: int(1000, 10, 60000),
    SUBSCRIPTIONS_SECRET_OVERLAP_MS: int(86_400_000, 0),
    ...OPERATIONS_ENV,
});

/** Every variable `loadConfig` reads (`.env.example` documents each one; a test compares them). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

/** The environment as parsed: every variable typed, defaults filled in. */
export type ParsedEnv = z.infer<typeof EnvSchema>;

/**
 * Rules across variables, checked on the raw environment so they are reported
 * together with field errors (zod skips object refinements once a field failed).
 */
export function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const set = (key: string) => (env[key] ?? "") !== "";
  const problems: string[] = [];
  if (set("AUTH_JWT_SECRET") && set("AUTH_JWKS_URL")) problems.push("AUTH_JWKS_URL: set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both");
  if (env.NODE_ENV === "production") {
    for (const key of ["DATABASE_URL", "UNIPILE_DSN", "UNIPILE_ACCESS_TOKEN", "UNIPILE_WEBHOOK_SECRET"]) {
      if (!set(key)) problems.push(`${key}: is required in production`);
    }
    if (!set("AUTH_JWT_SECRET") && !set("AUTH_JWKS_URL") && !set("NEXTAUTH_SECRET") && !set("AUTH_SECRET")) {
      problems.push("AUTH_JWT_SECRET: AUTH_JWT_SECRET or AUTH_JWKS_URL (bearer tokens), or NEXTAUTH_SECRET / AUTH_SECRET (the web app's session cookie), is required in production");
    }
  }
  if (set("UNIPILE_DSN") && !set("UNIPILE_ACCESS_TOKEN")) problems.push("UNIPILE_ACCESS_TOKEN: is required when UNIPILE_DSN is set");
  return problems;
}
