/**
 * @module http/rate-limit
 * Request rate limits: a token bucket per user (per peer address for calls
 * without a valid token). Past it: 429 RATE_LIMITED in the one error shape
 * with `Retry-After`; every limited answer carries the IETF draft headers
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "user";q=<burst>;w=<seconds to refill>`
 * and `RateLimit: "user";r=<remaining>;t=<seconds until full>`.
 *
 * The buckets live in this process's memory: limits hold per replica (N
 * replicas behind a balancer allow up to N times the rate). That keeps a
 * database round trip off every request; the per-account send pacing, which
 * protects WhatsApp numbers, is the limit that matters across replicas.
 */
import type { MiddlewareHandler } from "hono";
import { type BucketRule, type BucketState, take } from "../lib/token-bucket";
import { metrics } from "../platform/metrics";
import type { AppEnv } from "./app-env";
import type { Authenticator } from "./auth";
import { callerOf } from "./caller";
import { ApiError } from "./errors";

export interface RateLimitOptions {
  authenticator: Authenticator;
  user: BucketRule;
  ip: BucketRule;
  /** @default Date.now */
  now?: () => number;
}

/** Buckets kept before idle ones (full again) are swept. */
const SWEEP_AT = 10_000;

export function rateLimit(options: RateLimitOptions): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, BucketState>();
  const now = options.now ?? Date.now;

  function sweep(at: number) {
    for (const [key, state] of buckets) {
      const rule = key.startsWith("user:") ? options.user : options.ip;
      if (state.tokens + ((at - state.at) / 1000) * rule.perSecond >= rule.burst) buckets.delete(key);
    }
  }

  return async (c, next) => {
    const caller = await callerOf(c, options.authenticator);
    const rule = caller.scope === "user" ? options.user : options.ip;
    const at = now();
    const answer = take(buckets.get(caller.key), rule, at);
    buckets.set(caller.key, answer.state);
    if (buckets.size > SWEEP_AT) sweep(at);
    const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));
    const headers = {
      "RateLimit-Policy": `"${caller.scope}";q=${rule.burst};w=${seconds((rule.burst / rule.perSecond) * 1000)}`,
      RateLimit: `"${caller.scope}";r=${answer.remaining};t=${seconds(answer.allowed ? answer.fullInMs : answer.retryAfterMs)}`,
    };
    if (!answer.allowed) {
      metrics.rateLimited.inc({ scope: caller.scope });
      const retryAfter = String(Math.max(1, seconds(answer.retryAfterMs)));
      throw new ApiError(
        "RATE_LIMITED",
        `Too many requests: at most ${rule.perSecond} per second (bursts of ${rule.burst}) per ${caller.scope}; try again in ${retryAfter} s.`,
        undefined,
        { ...headers, "Retry-After": retryAfter },
      );
    }
    await next();
    // A narrower limit's answer (a paced send) keeps its own headers.
    for (const [name, value] of Object.entries(headers)) if (!c.res.headers.has(name)) c.res.headers.set(name, value);
  };
}
