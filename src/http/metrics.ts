/**
 * @module http/metrics
 * The HTTP side of the metrics: a middleware that counts and times every
 * request by route template (the registered path, `/api/conversations/:id`,
 * never the raw path, so ids do not become series), method and status; and
 * `GET /metrics` in Prometheus's text format. Without `METRICS_TOKEN` the
 * page is served only to a loopback peer that sent no forwarding header (a
 * reverse proxy on the same host would otherwise publish it); with it, only
 * to `Authorization: Bearer <METRICS_TOKEN>`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Logger } from "pino";
import { z } from "zod";
import { metrics, registry, startTimer } from "../platform/metrics";
import type { AppEnv } from "./app-env";
import { isLoopback, peerAddress } from "./client-address";
import { ApiError } from "./errors";
import { apiApp, ERRORS, OPEN } from "./openapi-app";

/** The registered path of the route that matched (not a middleware's), or `(unmatched)`. */
export function routeTemplate(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return route.path;
  }
  return "(unmatched)";
}

export function httpMetrics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const elapsed = startTimer();
    try {
      await next();
    } finally {
      const labels = { route: routeTemplate(c), method: c.req.method, status: String(c.res.status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, elapsed());
    }
  };
}

export interface MetricsRouteDeps {
  /** `METRICS_TOKEN`; unset: loopback only. */
  token?: string;
  /** Gauges read from the database at scrape time (projection lag, subscription lag). */
  refresh: () => Promise<void>;
  logger: Logger;
}

const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip"];
const digest = (value: string) => createHash("sha256").update(value).digest();

function allowed(c: Parameters<MiddlewareHandler<AppEnv>>[0], token: string | undefined): void {
  if (token) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), digest(token))) {
      throw new ApiError("UNAUTHENTICATED", "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.", undefined, { "WWW-Authenticate": "Bearer" });
    }
    return;
  }
  const peer = peerAddress(c);
  const forwarded = FORWARDING_HEADERS.some((h) => c.req.header(h) !== undefined);
  if ((peer !== null && !isLoopback(peer)) || forwarded) {
    throw new ApiError("FORBIDDEN", "GET /metrics is served only on loopback; set METRICS_TOKEN to scrape it from elsewhere.");
  }
}

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "metrics",
  tags: ["operations"],
  summary: "Prometheus metrics (loopback only, or Authorization: Bearer <METRICS_TOKEN>)",
  security: OPEN,
  responses: {
    200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } },
    ...ERRORS,
  },
});

/** `GET /metrics`, mounted with `app.route("/", metricsRoutes(deps))`. */
export function metricsRoutes(deps: MetricsRouteDeps) {
  return apiApp().openapi(metricsRoute, async (c) => {
    allowed(c, deps.token);
    // The database may be down: the process's own series are still worth serving.
    await deps.refresh().catch((error: unknown) => deps.logger.warn({ reason: String(error) }, "metrics: database gauges not refreshed"));
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType }) as never;
  });
}
