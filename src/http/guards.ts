/**
 * @module http/guards
 * The bounds a route carries as its own middleware, built once per app
 * (the in-flight bounds are counters shared by every route they guard):
 * the caller's rate limit and fair share of the in-flight slots before the
 * body is read, then the body limit.
 */
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import type { Config } from "../config";
import { admission } from "./admission";
import type { AppEnv } from "./app-env";
import type { Authenticator } from "./auth";
import { ApiError } from "./errors";
import { fairAdmission } from "./fair-admission";
import { rateLimit } from "./rate-limit";

export interface HttpGuards {
  /** API requests (every /api route but the webhook and the event stream): rate limit, then the caller's share of the slots. */
  api: MiddlewareHandler<AppEnv>;
  /** Event streams: the rate limit only (they have a bound of their own per user). */
  stream: MiddlewareHandler<AppEnv>;
  /** Unipile's webhook deliveries: a pool of their own, never rate-limited. */
  webhooks: MiddlewareHandler<AppEnv>;
  /** The default body limit. */
  body: MiddlewareHandler<AppEnv>;
  /** Sends carry attachments: their limit is their own. */
  messageBody: MiddlewareHandler<AppEnv>;
}

const limit = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `The request body is larger than ${maxSize} bytes.`);
    },
  });

const passThrough: MiddlewareHandler<AppEnv> = (_c, next) => next();

export function createHttpGuards(config: Pick<Config, "http" | "operations">, authenticator: Authenticator): HttpGuards {
  const { http, operations: ops } = config;
  const shares = fairAdmission({ pool: "api", max: http.apiMaxInFlight, perCaller: ops.apiMaxInFlightPerCaller, retryAfterSeconds: 1, authenticator });
  // Per user (per address without a valid token); buckets in memory, per replica.
  const limited = ops.rateLimit.enabled ? rateLimit({ authenticator, user: ops.rateLimit.user, ip: ops.rateLimit.ip }) : null;
  return {
    api: limited ? (c, next) => limited(c, async () => void (await shares(c, next))) : shares,
    stream: limited ?? passThrough,
    webhooks: admission({ what: "webhook deliveries", pool: "webhook", max: http.webhookMaxInFlight, retryAfterSeconds: 1 }),
    body: limit(http.bodyLimitBytes),
    messageBody: limit(http.messageBodyLimitBytes),
  };
}
