/**
 * @module http/admission
 * Load shedding. At most `max` requests of one kind are inside the service at
 * once; past that, a request is answered at once with 503 OVERLOADED and
 * `Retry-After`, before its body is read. Without a bound, an overload builds
 * a queue inside the process: memory grows with it and every request waits
 * behind it. Shedding is safe for webhooks: one not answered 200 is not in
 * the log, and Unipile delivers it again (up to 5 times, with growing delays),
 * while the poll fetches anything a delivery never brought.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";
import { metrics } from "../platform/metrics";

export interface AdmissionOptions {
  /** What is bounded, for the error message ("webhook deliveries"). */
  what: string;
  max: number;
  /** Seconds the client is asked to wait before trying again. */
  retryAfterSeconds: number;
  /** The pool's name in metrics. @default what */
  pool?: string;
}

export function admission(options: AdmissionOptions): MiddlewareHandler<AppEnv> {
  let inside = 0;
  return async (_c, next) => {
    if (inside >= options.max) {
      metrics.httpShed.inc({ pool: options.pool ?? options.what, reason: "overloaded" });
      throw new ApiError(
        "OVERLOADED",
        `The service is at its limit of ${options.max} ${options.what} at once; try again in ${options.retryAfterSeconds} s.`,
        undefined,
        { "Retry-After": String(options.retryAfterSeconds) },
      );
    }
    inside++;
    try {
      await next();
    } finally {
      inside--;
    }
  };
}
