/**
 * @module http/fair-admission
 * Admission for API requests with a share per caller: at most `max` requests
 * inside the service at once (503 OVERLOADED past it, as http/admission),
 * and at most `perCaller` of them for one caller (a user, or an address
 * without a valid token; see http/caller). A caller past its share is
 * answered 429 TOO_MANY_REQUESTS with Retry-After at once, before its body
 * is read, so one caller's slow or numerous requests leave the other slots
 * to everyone else. With the body read deadline (http/body-deadline), a
 * slot held by a trickling body is freed within REQUEST_BODY_TIMEOUT_MS.
 */
import type { MiddlewareHandler } from "hono";
import { metrics } from "../platform/metrics";
import type { AppEnv } from "./app-env";
import type { Authenticator } from "./auth";
import { callerOf } from "./caller";
import { ApiError } from "./errors";

export interface FairAdmissionOptions {
  /** The pool's name in metrics. */
  pool: string;
  max: number;
  perCaller: number;
  retryAfterSeconds: number;
  authenticator: Authenticator;
}

export function fairAdmission(options: FairAdmissionOptions): MiddlewareHandler<AppEnv> {
  const perCaller = new Map<string, number>();
  let inside = 0;
  const retry = { "Retry-After": String(options.retryAfterSeconds) };
  return async (c, next) => {
    const caller = await callerOf(c, options.authenticator);
    if (inside >= options.max) {
      metrics.httpShed.inc({ pool: options.pool, reason: "overloaded" });
      throw new ApiError("OVERLOADED", `The service is at its limit of ${options.max} API requests at once; try again in ${options.retryAfterSeconds} s.`, undefined, retry);
    }
    const mine = perCaller.get(caller.key) ?? 0;
    if (mine >= options.perCaller) {
      metrics.httpShed.inc({ pool: options.pool, reason: "caller_share" });
      throw new ApiError("TOO_MANY_REQUESTS", `You have ${mine} requests in progress, your share of the service; try again in ${options.retryAfterSeconds} s.`, undefined, retry);
    }
    inside++;
    perCaller.set(caller.key, mine + 1);
    metrics.httpInFlight.inc({ pool: options.pool });
    try {
      await next();
    } finally {
      inside--;
      metrics.httpInFlight.dec({ pool: options.pool });
      const left = (perCaller.get(caller.key) ?? 1) - 1;
      if (left <= 0) perCaller.delete(caller.key);
      else perCaller.set(caller.key, left);
    }
  };
}
