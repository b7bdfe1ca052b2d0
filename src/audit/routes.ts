/**
 * @module audit/routes
 * The auditor API under /api/audit: read the whole log, one stream, an
 * export; an account at a past point; a rebuild-and-compare of every
 * projection. Auditors see everything (every user's events), so every route
 * needs a JWT with the `auditor` role.
 */
import type { Sql } from "../db/client";
import { requireRole } from "../http/auth";
import { apiApp, type RouteGuards } from "../http/openapi-app";
import type { Projection } from "../projections";
import { checkRoutes } from "./check-routes";
import { logRoutes } from "./log-routes";
import { createVerifyGuard } from "./verify-guard";
import type { AccountsProjection } from "../accounts";

export interface AuditRoutesDeps {
  sql: Sql;
  /** Verification rebuilds every projection: on the pool without a statement timeout. */
  maintenanceSql: Sql;
  projections: readonly Projection[];
  /** The account rows' projection, whose fold the point-in-time view replays. */
  accounts: AccountsProjection;
  /** Load shedding, the body limit and the bearer JWT check (401 without a valid token). */
  guards: RouteGuards;
}

/** The audit routes, mounted with `app.route("/", auditRoutes(deps))`. */
export function auditRoutes(deps: AuditRoutesDeps) {
  const app = apiApp();
  // On the whole prefix, before any route: an audit route added later cannot forget it.
  app.use("/api/audit/*", deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated, requireRole("auditor"));
  return app.route("/", logRoutes({ sql: deps.sql })).route("/", checkRoutes({ sql: deps.sql, verify: createVerifyGuard(deps.maintenanceSql, deps.projections), accounts: deps.accounts }));
}
