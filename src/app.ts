/**
 * @module app
 * `createApp(deps)`: middleware, routes, the error handler and the API
 * documents. Defines things only (no I/O at import), so tests build the app
 * on their own dependencies and call it with `app.request`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { z } from "zod";
import { registerAccountRoutes } from "./accounts/routes";
import { registerAuditRoutes } from "./audit";
import type { Deps } from "./deps";
import type { AppEnv } from "./http/app-env";
import { requireAuth } from "./http/auth";
import { renderDocsPage } from "./http/docs-page";
import { ApiError, errorResponse, handleError } from "./http/errors";
import { headerLimit } from "./http/header-limit";
import { registerHealthRoutes } from "./http/health";
import { ApiDocs } from "./http/openapi";
import { admission } from "./http/admission";
import { databaseGate } from "./http/database-gate";
import { requestLogger } from "./http/request-logger";
import { registerSyncRoutes } from "./sync/routes";
import { registerWebhookRoutes } from "./unipile/webhook-routes";
import { registerMessagingRoutes } from "./messaging/routes";
import { registerSendRoutes } from "./messaging/send-routes";
import { registerLiveRoutes } from "./live/sse-routes";
import { deliveryLagSummary, registerSubscriptionRoutes } from "./subscriptions";
import { registerConsolePages, registerConsoleRoutes } from "./console";

const SEND_PATH = "/api/unipile/message";
const WEBHOOK_PATH = "/api/unipile/webhook";
const EVENTS_STREAM_PATH = "/api/events/stream";

export const API_INFO = {
  title: "commsync-unipile",
  version: "0.1.0",
  description: "Event-sourced WhatsApp messaging backend for CommSync, on Unipile.",
};

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  const docs = new ApiDocs();

  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(requestLogger(deps.logger));
  // While the database cannot be reached, API requests are answered 503 at once (before admission).
  app.use("/api/*", databaseGate(deps.database));
  // Input limits before any work: the size of the request head here, the nesting of JSON bodies where they are read.
  app.use(headerLimit(deps.config.http.maxHeaderBytes));
  app.use((c, next) => {
    c.set("jsonMaxDepth", deps.config.http.jsonMaxDepth);
    return next();
  });
  // Shed load before reading bodies: webhooks and API calls each have their bound; event streams have theirs.
  const webhooks = admission({ what: "webhook deliveries", max: deps.config.http.webhookMaxInFlight, retryAfterSeconds: 1 });
  const api = admission({ what: "API requests", max: deps.config.http.apiMaxInFlight, retryAfterSeconds: 1 });
  app.use("/api/*", (c, next) => {
    if (c.req.path === WEBHOOK_PATH) return webhooks(c, next);
    if (c.req.path === EVENTS_STREAM_PATH) return next();
    return api(c, next);
  });
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError("PAYLOAD_TOO_LARGE", `The request body is larger than ${maxSize} bytes.`);
      },
    });
  const defaultLimit = limit(deps.config.http.bodyLimitBytes);
  const messageLimit = limit(deps.config.http.messageBodyLimitBytes);
  // Sends carry attachments: their route has a limit of its own.
  app.use((c, next) => (c.req.path === SEND_PATH ? messageLimit(c, next) : defaultLimit(c, next)));
  app.onError(handleError);
  app.notFound((c) => errorResponse(c, new ApiError("ROUTE_NOT_FOUND", `There is no route ${c.req.method} ${c.req.path}.`)));

  registerHealthRoutes(
    app,
    {
      sql: deps.sql,
      runner: deps.runner,
      expectedMigrations: deps.expectedMigrations,
      maxLagEvents: deps.config.projections.readyMaxLagEvents,
      subscriptionLag: () => deliveryLagSummary(deps.sql),
    },
    docs,
  );

  const authenticated = requireAuth(deps.authenticator);
  docs.add({
    method: "get",
    path: "/api/me",
    summary: "The authenticated caller, as the service sees the token",
    tags: ["auth"],
    responses: { 200: { description: "Caller", schema: z.object({ userId: z.string(), roles: z.array(z.string()) }) } },
  });
  app.get("/api/me", authenticated, (c) => {
    const { userId, roles } = c.get("principal");
    return c.json({ userId, roles: [...roles] });
  });

  registerAccountRoutes(app, { accounts: deps.accounts, sql: deps.sql, runner: deps.runner, authenticated }, docs);
  registerWebhookRoutes(
    app,
    {
      secret: deps.unipile.webhookSecret,
      eventStore: deps.eventStore,
      accounts: deps.accounts,
      monitor: deps.accountMonitor,
      fetcher: deps.messaging.fetcher,
      clock: deps.clock,
    },
    docs,
  );
  registerAuditRoutes(app, { sql: deps.sql, maintenanceSql: deps.maintenanceSql, projections: deps.projections, authenticated }, docs);
  registerSyncRoutes(app, { sql: deps.sql, runner: deps.runner, sync: deps.sync, authenticated }, docs);
  registerSendRoutes(app, { sql: deps.sql, sends: deps.messaging.sends, authenticated, maxAttachmentBytes: deps.config.http.maxAttachmentBytes }, docs);
  registerMessagingRoutes(app, { sql: deps.sql, runner: deps.runner, gateway: deps.unipile.gateway, reads: deps.messaging.reads, authenticated }, docs);
  registerLiveRoutes(app, deps.live, authenticated, docs);
  registerSubscriptionRoutes(
    app,
    {
      sql: deps.sql,
      service: deps.subscriptions.service,
      authenticated,
      allowPrivate: deps.config.subscriptions.allowPrivate,
      timeoutMs: deps.config.subscriptions.timeoutMs,
      nudge: deps.subscriptions.worker.nudge,
    },
    docs,
  );

  // The console (React, bundled by Bun) at / and /console, and its session and sandbox helpers.
  registerConsoleRoutes(app, { sql: deps.sql, authenticated, development: deps.config.auth.mode === "development", auth: deps.auth, sandbox: deps.unipile.sandboxControls }, docs);
  registerConsolePages(app, docs);

  docs.add({ method: "get", path: "/openapi.json", summary: "This API as an OpenAPI 3.1 document", tags: ["operations"], auth: false, responses: { 200: { description: "OpenAPI document" } } });
  app.get("/openapi.json", (c) => c.json(docs.document(API_INFO)));
  docs.add({ method: "get", path: "/docs", summary: "This API as a readable page", tags: ["operations"], auth: false, responses: { 200: { description: "HTML page", contentType: "text/html" } } });
  app.get("/docs", (c) => c.html(renderDocsPage(docs.document(API_INFO))));

  return Object.assign(app, { docs });
}

export type App = ReturnType<typeof createApp>;
