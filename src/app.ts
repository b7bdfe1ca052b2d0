/**
 * @module app
 * `createApp(deps)`: the middleware every request passes, the error handler,
 * and each feature's sub-app mounted with `app.route()`. A sub-app declares
 * its routes (`createRoute` + `app.openapi`) with the guards they carry:
 * load shedding, body limit, authentication. The contract (/openapi.json,
 * /docs) is generated from those declarations. Defines things only (no I/O
 * at import), so tests build the app on their own dependencies and call it
 * with `app.request`.
 */
import { requestId } from "hono/request-id";
import { accountRoutes } from "./accounts";
import { auditRoutes } from "./audit";
import { accountsProjection, type Deps } from "./deps";
import { requireAuth } from "./http/auth";
import { corsFor, securityHeaders } from "./http/browser";
import { databaseGate } from "./http/database-gate";
import { apiDocument, docsRoutes } from "./http/docs";
import { ApiError, errorResponse, handleError } from "./http/errors";
import { createHttpGuards } from "./http/guards";
import { headerLimit } from "./http/header-limit";
import { healthRoutes } from "./http/health";
import { meRoutes } from "./http/me-routes";
import { apiApp, type RouteGuards } from "./http/openapi-app";
import { requestLogger } from "./http/request-logger";
import { bodyDeadline } from "./http/body-deadline";
import { httpMetrics, metricsRoutes } from "./http/metrics";
import { createMetricsRefresh } from "./metrics-refresh";
import { liveRoutes } from "./live";
import { messagingRoutes } from "./conversations";
import { sendRoutes } from "./sends";
import { deliveryLagSummary, subscriptionRoutes } from "./subscriptions";
import { syncRoutes } from "./sync";
import { webhookRoutes } from "./unipile/ingest";
import { consolePages, consoleRoutes } from "./console";

export { API_INFO } from "./http/docs";

export function createApp(deps: Deps) {
  const app = apiApp();

  useMiddleware(app, deps);

  const { bounds, authenticated, guards } = routeGuards(deps);

  const routes = app
    .route(
      "/",
      healthRoutes({
        sql: deps.sql,
        runner: deps.runner,
        expectedMigrations: deps.expectedMigrations,
        maxLagEvents: deps.config.projections.readyMaxLagEvents,
        subscriptionLag: () => deliveryLagSummary(deps.sql),
        guards: [bounds.body],
      }),
    )
    .route("/", meRoutes(guards))
    .route("/", accountRoutes({ accounts: deps.accounts, sql: deps.sql, runner: deps.runner, guards }))
    .route("/", sendRoutes({ sql: deps.sql, sends: deps.messaging.sends, guards: { ...guards, bodyLimit: bounds.messageBody }, maxAttachmentBytes: deps.config.http.maxAttachmentBytes }))
    .route("/", messagingRoutes({ sql: deps.sql, runner: deps.runner, gateway: deps.unipile.gateway, reads: deps.messaging.reads, guards }))
    .route("/", liveRoutes(deps.live, [bounds.stream, bounds.body, authenticated]))
    .route("/", syncRoutes({ sql: deps.sql, runner: deps.runner, sync: deps.sync, guards }))
    .route(
      "/",
      webhookRoutes({
        secret: deps.unipile.webhookSecret,
        eventStore: deps.eventStore,
        accounts: deps.accounts,
        monitor: deps.accountMonitor,
        fetcher: deps.messaging.fetcher,
        clock: deps.clock,
        guards: [bounds.webhooks, bounds.body],
      }),
    )
    .route(
      "/",
      subscriptionRoutes({
        sql: deps.sql,
        service: deps.subscriptions.service,
        guards,
        allowPrivate: deps.config.subscriptions.allowPrivate,
        timeoutMs: deps.config.subscriptions.timeoutMs,
        nudge: deps.subscriptions.worker.nudge,
      }),
    )
    .route("/", metricsRoutes({ token: deps.config.operations.metricsToken, refresh: createMetricsRefresh(deps.sql, deps.projections), logger: deps.logger }))
    .route("/", auditRoutes({ sql: deps.sql, maintenanceSql: deps.maintenanceSql, projections: deps.projections, accounts: accountsProjection, guards }))
    .route("/", docsRoutes(() => apiDocument(app, { publicUrl: deps.config.unipile.publicUrl })))
    // The console's session and sandbox helpers (its pages, React bundled by Bun, are mounted below).
    .route("/", consoleRoutes({ sql: deps.sql, guards, development: deps.config.auth.mode === "development", auth: deps.auth, sandbox: deps.unipile.sandboxControls }));
  // The console's pages stay out of AppType: a route at "/" would take over hc's typing of every path.
  app.route("/", consolePages([bounds.body]));

  return routes;
}

export type App = ReturnType<typeof createApp>;

/** Every route's request and answer types: `hc<AppType>(baseUrl)` from `hono/client` is CommSync's typed client. */
export type AppType = App;

/** The middleware every request passes, in order, and the answers for errors and unknown routes. */
function useMiddleware(app: ReturnType<typeof apiApp>, deps: Deps) {
  app.use(requestId({ headerName: "X-Request-Id" }));
  // Browsers: the CORS grant (and preflights) for allowed origins, security headers on every response.
  app.use(corsFor({ origins: deps.config.http.corsOrigins, publicUrl: deps.config.unipile.publicUrl }));
  app.use(securityHeaders());
  app.use(requestLogger(deps.logger));
  app.use(httpMetrics());
  // While the database cannot be reached, API requests are answered 503 at once (before admission).
  app.use("/api/*", databaseGate(deps.database));
  // Input limits before any work: the size of the request head here, the nesting of JSON bodies where they are read.
  app.use(headerLimit(deps.config.http.maxHeaderBytes));
  app.use((c, next) => {
    c.set("jsonMaxDepth", deps.config.http.jsonMaxDepth);
    return next();
  });
  // A trickling body is cut off and answered 408, freeing its slot (before a body limit reads it).
  app.use(bodyDeadline(deps.config.operations.requestBodyTimeoutMs));
  app.onError(handleError);
  app.notFound((c) => errorResponse(c, new ApiError("ROUTE_NOT_FOUND", `There is no route ${c.req.method} ${c.req.path}.`)));
}

/** Each route sheds load and bounds its body before reading it; webhooks, sends and event streams have bounds of their own. */
function routeGuards(deps: Deps) {
  const bounds = createHttpGuards(deps.config, deps.authenticator);
  const authenticated = requireAuth(deps.authenticator);
  const guards: RouteGuards = { shed: bounds.api, bodyLimit: bounds.body, authenticated };
  return { bounds, authenticated, guards };
}
