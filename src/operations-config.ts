/**
 * @module operations-config
 * The variables of operations (metrics, fair admission, rate limits, send
 * pacing, bounded Unipile work), parsed with the rest of the environment by
 * config.ts. Kept apart so that config.ts only gains one line per place.
 * Defaults and the reasons for them: README › Operations.
 */
import { z } from "zod";
import type { PacingRules } from "./sends";

/** An empty variable counts as unset. */
export const emptyToUndefined = (value: unknown) => (value === "" ? undefined : value);
/** An integer variable with its default and bounds. */
export const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(def));
/** A boolean variable: true/false/1/0. */
export const bool = (def: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z.enum(["true", "false", "1", "0"]).default(def ? "true" : "false").transform((v) => v === "true" || v === "1"),
  );

export const OPERATIONS_ENV = {
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  API_MAX_IN_FLIGHT_PER_CALLER: int(32, 1, 100000),
  REQUEST_BODY_TIMEOUT_MS: int(60_000, 10, 3_600_000),
  RATE_LIMIT_ENABLED: bool(true),
  RATE_LIMIT_USER_PER_SECOND: int(20, 1, 100000),
  RATE_LIMIT_USER_BURST: int(200, 1, 1_000_000),
  RATE_LIMIT_IP_PER_SECOND: int(10, 1, 100000),
  RATE_LIMIT_IP_BURST: int(100, 1, 1_000_000),
  SEND_PACING_ENABLED: bool(true),
  SEND_PER_MINUTE: int(10, 1, 100000),
  SEND_BURST: int(5, 1, 100000),
  SEND_NEW_CHATS_PER_DAY: int(30, 0, 100000),
  SEND_NEW_CHATS_PER_DAY_WARMUP: int(2, 0, 100000),
  SEND_WARMUP_DAYS: int(14, 0, 3650),
  SEND_CHAT_MIN_GAP_MS: int(2000, 0, 86_400_000),
  UNIPILE_MAX_REQUESTS_PER_SECOND: int(20, 1, 100000),
  UNIPILE_LOOKUP_CONCURRENCY: int(8, 1, 1000),
  UNIPILE_LOOKUP_CONCURRENCY_PER_ACCOUNT: int(2, 1, 1000),
};

type OperationsEnv = z.infer<z.ZodObject<typeof OPERATIONS_ENV>>;

export interface TokenBucketSettings {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: the most requests at once after a quiet spell. */
  burst: number;
}

export interface SendPacingSettings extends PacingRules {
  enabled: boolean;
}

export interface OperationsConfig {
  /** Unset: GET /metrics is served to loopback peers only. */
  metricsToken?: string;
  /** In-flight API requests one caller (user, or IP without a token) may hold. */
  apiMaxInFlightPerCaller: number;
  /** A request body not fully received within this is answered 408. */
  requestBodyTimeoutMs: number;
  rateLimit: { enabled: boolean; user: TokenBucketSettings; ip: TokenBucketSettings };
  sendPacing: SendPacingSettings;
  unipile: {
    /** Requests per second to Unipile from this replica, commands first. */
    maxRequestsPerSecond: number;
    /** Background lookups at once, for the whole replica and per account. */
    lookupConcurrency: number;
    lookupConcurrencyPerAccount: number;
  };
}

export function operationsConfig(e: OperationsEnv): OperationsConfig {
  return {
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    apiMaxInFlightPerCaller: e.API_MAX_IN_FLIGHT_PER_CALLER,
    requestBodyTimeoutMs: e.REQUEST_BODY_TIMEOUT_MS,
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      user: { perSecond: e.RATE_LIMIT_USER_PER_SECOND, burst: e.RATE_LIMIT_USER_BURST },
      ip: { perSecond: e.RATE_LIMIT_IP_PER_SECOND, burst: e.RATE_LIMIT_IP_BURST },
    },
    sendPacing: {
      enabled: e.SEND_PACING_ENABLED,
      perMinute: e.SEND_PER_MINUTE,
      burst: e.SEND_BURST,
      newChatsPerDay: e.SEND_NEW_CHATS_PER_DAY,
      newChatsPerDayWarmup: e.SEND_NEW_CHATS_PER_DAY_WARMUP,
      warmupDays: e.SEND_WARMUP_DAYS,
      chatMinGapMs: e.SEND_CHAT_MIN_GAP_MS,
    },
    unipile: {
      maxRequestsPerSecond: e.UNIPILE_MAX_REQUESTS_PER_SECOND,
      lookupConcurrency: e.UNIPILE_LOOKUP_CONCURRENCY,
      lookupConcurrencyPerAccount: e.UNIPILE_LOOKUP_CONCURRENCY_PER_ACCOUNT,
    },
  };
}
