/**
 * @module audit/routes
 * The auditor API under /api/audit: read the whole log, one stream, an
 * export; an account at a past point; a rebuild-and-compare of every
 * projection. Auditors see everything (every user's events), so every route
 * needs a JWT with the `auditor` role.
 */
import type { Hono, MiddlewareHandler } from "hono";
import type { Sql } from "../db/client";
import type { AppEnv } from "../http/app-env";
import { requireRole } from "../http/auth";
import type { ApiDocs } from "../http/openapi";
import type { Projection } from "../projections";
import { registerCheckRoutes } from "./check-routes";
import { registerLogRoutes } from "./log-routes";
import { createVerifyGuard } from "./verify-guard";

export interface AuditRoutesDeps {
  sql: Sql;
  /** Verification rebuilds every projection: on the pool without a statement timeout. */
  maintenanceSql: Sql;
  projections: readonly Projection[];
  /** Bearer JWT check (401 without a valid token). */
  authenticated: MiddlewareHandler<AppEnv>;
}

export function registerAuditRoutes(app: Hono<AppEnv>, deps: AuditRoutesDeps, docs: ApiDocs) {
  // On the whole prefix, before any route: an audit route added later cannot forget it.
  app.use("/api/audit/*", deps.authenticated, requireRole("auditor"));
  registerLogRoutes(app, { sql: deps.sql }, docs);
  registerCheckRoutes(app, { sql: deps.sql, verify: createVerifyGuard(deps.maintenanceSql, deps.projections) }, docs);
}
