/**
 * @module http/database-gate
 * Requests meet the database circuit breaker (db/availability): while the
 * database is down they are answered 503 DATABASE_UNAVAILABLE with
 * Retry-After at once; a request that failed on a connection error marks it
 * down.
 */
import type { MiddlewareHandler } from "hono";
import type { DatabaseAvailability } from "../db/availability";
import type { AppEnv } from "./app-env";
import { databaseUnavailable } from "./errors";

export function databaseGate(availability: DatabaseAvailability): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (availability.isDown()) throw databaseUnavailable();
    await next();
    if (c.error) availability.report(c.error);
  };
}
