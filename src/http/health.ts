/**
 * @module http/health
 * `GET /health`: the process answers. `GET /ready`: the database answers, every
 * migration is applied, and the projections are within the allowed lag.
 */
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Sql } from "../db/client";
import { appliedMigrationCount } from "../db/migrate";
import type { ProjectionRunner } from "../projections/runner";
import type { AppEnv } from "./app-env";
import { apiApp, ERRORS, json, OPEN } from "./openapi-app";

export interface HealthDeps {
  sql: Sql;
  runner: ProjectionRunner;
  expectedMigrations: number;
  maxLagEvents: number;
  /** Per enabled subscription: undelivered events and the age of the oldest (reported, not a readiness condition). */
  subscriptionLag?: () => Promise<{ subscriptionId: string; pendingEvents: number; lagMs: number; failures: number }[]>;
  /** The body limit. */
  guards: MiddlewareHandler<AppEnv>[];
}

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const ReadySchema = z
  .object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.object({ database: CheckSchema, migrations: CheckSchema, projections: CheckSchema }),
  projections: z.array(
    z.object({ name: z.string(), version: z.number(), globalPosition: z.number(), lagEvents: z.number(), lagMs: z.number() }),
  ),
  subscriptions: z
    .array(z.object({ subscriptionId: z.string(), pendingEvents: z.number(), lagMs: z.number(), failures: z.number() }))
    .describe("Delivery lag of each enabled webhook subscription (at most 100, most lagging first)"),
  })
  .meta({ id: "Readiness" });

const NotReadySchema = ReadySchema.extend({ error: z.string(), code: z.string().describe("NOT_READY"), requestId: z.string() });

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  tags: ["operations"],
  summary: "Liveness: the process answers",
  security: OPEN,
  responses: { 200: json(z.object({ status: z.literal("ok") }), "Alive"), ...ERRORS },
});

const readyRoute = createRoute({
  method: "get",
  path: "/ready",
  operationId: "ready",
  tags: ["operations"],
  summary: "Readiness: database reachable, migrations applied, projections caught up",
  security: OPEN,
  responses: { 200: json(ReadySchema, "Ready"), 503: json(NotReadySchema, "Not ready: the checks say why"), ...ERRORS },
});

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

/** `/health` and `/ready`, mounted with `app.route("/", healthRoutes(deps))`. */
export function healthRoutes(deps: HealthDeps) {
  return apiApp()
    .openapi({ ...healthRoute, middleware: deps.guards }, (c) => c.json({ status: "ok" as const }, 200))
    .openapi({ ...readyRoute, middleware: deps.guards }, async (c) => {
      const database = await withTimeout(deps.sql`select 1`, 2000).then(
        () => ({ ok: true }),
        (error: Error) => ({ ok: false, detail: error.message }),
      );
      const applied = database.ok ? await withTimeout(appliedMigrationCount(deps.sql), 2000).catch(() => 0) : 0;
      const migrations =
        applied >= deps.expectedMigrations
          ? { ok: true }
          : { ok: false, detail: `${applied} of ${deps.expectedMigrations} migrations applied` };
      const statuses = database.ok ? await withTimeout(deps.runner.status(), 2000).catch(() => null) : null;
      const lagging = statuses?.filter((s) => s.lagEvents > deps.maxLagEvents) ?? [];
      const projections = !statuses
        ? { ok: false, detail: "projection status unavailable" }
        : lagging.length
          ? { ok: false, detail: `lagging: ${lagging.map((s) => `${s.name} (${s.lagEvents} events)`).join(", ")}` }
          : { ok: true };
      const ready = database.ok && migrations.ok && projections.ok;
      const subscriptions = database.ok && migrations.ok && deps.subscriptionLag ? await withTimeout(deps.subscriptionLag(), 2000).catch(() => []) : [];
      const body = {
        status: ready ? ("ready" as const) : ("not_ready" as const),
        checks: { database, migrations, projections },
        projections: (statuses ?? []).map(({ name, version, globalPosition, lagEvents, lagMs }) => ({ name, version, globalPosition, lagEvents, lagMs })),
        subscriptions,
      };
      if (ready) return c.json(body, 200);
      return c.json({ error: "The service is not ready.", code: "NOT_READY", requestId: c.get("requestId"), ...body }, 503);
    });
}
