/**
 * @module subscriptions/routes
 * `/api/subscriptions`: a user's webhook subscriptions (create, list, read,
 * change, delete), secret rotation, a test ping, the delivery log and
 * replays. Another user's subscription answers 404 like a missing one.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { Sql } from "../db/client";
import { type LogPosition, positionBefore } from "../event-store";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { apiApp, BEARER, ERRORS, json, type RouteGuards } from "../http/openapi-app";
import { jsonBodyGate } from "../http/validation";
import { decodePosition } from "../live";
import { SUBSCRIPTION_EVENT_NAMES } from "./events";
import { deliveryStatus, getSubscriptionForUser, listDeliveries, listSubscriptionsForUser } from "./queries";
import type { SubscriptionService } from "./service";
import { sendWebhook } from "./send";
import { logAttempt, rewind, validSecrets } from "./store";
import type { SubscriptionRow } from "./subscription-evolve";
import { pingPayload } from "./topics";
import { checkTarget } from "./url-guard";
import { DeliverySchema, RotatedSchema, SubscriptionSchema, subscriptionView, TestResultSchema } from "./views";

export interface SubscriptionRoutesDeps {
  sql: Sql;
  service: SubscriptionService;
  guards: RouteGuards;
  allowPrivate: boolean;
  timeoutMs: number;
  /** Wakes the local worker (a replay, a re-enable). */
  nudge: () => void;
}

const EventName = z.string().refine((e) => SUBSCRIPTION_EVENT_NAMES.includes(e), { message: `must be one of ${SUBSCRIPTION_EVENT_NAMES.join(", ")}` });
const Settings = z.object({
  url: z.string().max(2000),
  events: z.array(EventName).min(1).max(20),
  accountIds: z.array(z.string().min(1).max(200)).max(100).nullable().optional().describe("The caller's accounts (accountId or accountIdentifier); all of them when left out"),
  description: z.string().max(500).default(""),
  enabled: z.boolean().default(true),
});
const Patch = z.object({
  url: z.string().max(2000).optional(),
  events: z.array(EventName).min(1).max(20).optional(),
  accountIds: z.array(z.string().min(1).max(200)).max(100).nullable().optional(),
  description: z.string().max(500).optional(),
  enabled: z.boolean().optional(),
}).refine((p) => Object.keys(p).length > 0, { message: "nothing to change" });
const IdParam = z.object({ id: z.uuid({ error: "the subscription id must be a UUID" }) });
const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), before: z.coerce.number().int().min(1).optional() });
const Replay = z.object({ from: z.string().min(1).max(60).describe("A log position `<txid>-<pos>`, an event id `evt_<txid>_<pos>` (both inclusive), or an ISO-8601 time") });

const notFound = () => new ApiError("SUBSCRIPTION_NOT_FOUND", "No such subscription.");

const tags = ["subscriptions"];

const createSubscriptionRoute = createRoute({
  tags,
  security: BEARER,
  method: "post",
  path: "/api/subscriptions",
  operationId: "createSubscription",
  summary: "Subscribe a URL to the caller's events; the signing secret is shown once",
  request: { body: { required: true, content: { "application/json": { schema: Settings } } } },
  responses: { 201: json(RotatedSchema, "Created"), ...ERRORS },
});
const listSubscriptionsRoute = createRoute({
  tags,
  security: BEARER,
  method: "get",
  path: "/api/subscriptions",
  operationId: "listSubscriptions",
  summary: "The caller's subscriptions",
  responses: { 200: json(z.object({ items: z.array(SubscriptionSchema) }), "List"), ...ERRORS },
});
const getSubscriptionRoute = createRoute({
  tags,
  security: BEARER,
  method: "get",
  path: "/api/subscriptions/{id}",
  operationId: "getSubscription",
  summary: "One subscription, with its delivery lag",
  request: { params: IdParam },
  responses: { 200: json(SubscriptionSchema, "The subscription"), ...ERRORS },
});
const updateSubscriptionRoute = createRoute({
  tags,
  security: BEARER,
  method: "patch",
  path: "/api/subscriptions/{id}",
  operationId: "updateSubscription",
  summary: "Change a subscription (enabled: true re-enables a disabled one)",
  request: { params: IdParam, body: { required: true, content: { "application/json": { schema: Patch } } } },
  responses: { 200: json(SubscriptionSchema, "Changed"), ...ERRORS },
});
const deleteSubscriptionRoute = createRoute({
  tags,
  security: BEARER,
  method: "delete",
  path: "/api/subscriptions/{id}",
  operationId: "deleteSubscription",
  summary: "Delete a subscription (queued deliveries are dropped)",
  request: { params: IdParam },
  responses: { 200: json(z.object({ deleted: z.literal(true) }), "Deleted"), ...ERRORS },
});
const rotateSecretRoute = createRoute({
  tags,
  security: BEARER,
  method: "post",
  path: "/api/subscriptions/{id}/rotate-secret",
  operationId: "rotateSubscriptionSecret",
  summary: "A new signing secret (shown once); the previous one stays valid during the overlap",
  request: { params: IdParam },
  responses: { 200: json(RotatedSchema, "Rotated"), ...ERRORS },
});
const testSubscriptionRoute = createRoute({
  tags,
  security: BEARER,
  method: "post",
  path: "/api/subscriptions/{id}/test",
  operationId: "testSubscription",
  summary: "Send a signed ping now and say how the receiver answered",
  request: { params: IdParam },
  responses: { 200: json(TestResultSchema, "The attempt"), ...ERRORS },
});
const deliveriesRoute = createRoute({
  tags,
  security: BEARER,
  method: "get",
  path: "/api/subscriptions/{id}/deliveries",
  operationId: "listSubscriptionDeliveries",
  summary: "Delivery attempts, newest first",
  request: { params: IdParam, query: DeliveriesQuery },
  responses: { 200: json(z.object({ items: z.array(DeliverySchema) }), "Attempts"), ...ERRORS },
});
const replayRoute = createRoute({
  tags,
  security: BEARER,
  method: "post",
  path: "/api/subscriptions/{id}/replay",
  operationId: "replaySubscription",
  summary: "Deliver again from a point in the log (same event ids: receivers dedupe)",
  request: { params: IdParam, body: { required: true, content: { "application/json": { schema: Replay } } } },
  responses: { 200: json(z.object({ from: z.string() }), "Replay scheduled"), ...ERRORS },
});

const actor = (c: Context<AppEnv>) => ({ userId: c.get("principal").userId, requestId: c.get("requestId") });

/** The caller's subscription, or 404 (another user's looks missing). */
async function owned(sql: Sql, c: Context<AppEnv>, id: string) {
  const row = await getSubscriptionForUser(sql, id, c.get("principal").userId);
  if (!row) throw notFound();
  return row;
}

async function checkUrl(deps: SubscriptionRoutesDeps, url: string) {
  const checked = await checkTarget(url, deps.allowPrivate);
  if (!checked.ok) throw new ApiError("VALIDATION_FAILED", `The url ${checked.reason}.`, [{ path: "url", message: checked.reason }]);
}

/** The caller's accounts, as Unipile account ids; anything else is refused. */
async function ownAccounts(sql: Sql, userId: string, given: string[] | null | undefined) {
  if (!given) return given ?? null;
  const rows = await sql<{ id: string; unipile_account_id: string }[]>`
    select id::text, unipile_account_id from accounts where user_id = ${userId} and (unipile_account_id = any(${given}) or id::text = any(${given}))
  `;
  const known = new Map(rows.flatMap((r) => [[r.id, r.unipile_account_id], [r.unipile_account_id, r.unipile_account_id]] as const));
  const unknown = given.filter((g) => !known.has(g));
  if (unknown.length) throw new ApiError("VALIDATION_FAILED", "accountIds names accounts the caller does not have.", [{ path: "accountIds", message: `unknown: ${unknown.join(", ")}` }]);
  return [...new Set(given.map((g) => known.get(g) as string))];
}

const viewOf = (sql: Sql) => async (row: SubscriptionRow) => subscriptionView(row, await deliveryStatus(sql, row.id));

/** Sends a signed ping to the subscription's url now, logs the attempt, and answers what happened. */
async function testPing(deps: SubscriptionRoutesDeps, row: SubscriptionRow) {
  const { sql } = deps;
  const payload = pingPayload(`evt_ping_${crypto.randomUUID().replaceAll("-", "")}`, new Date().toISOString());
  const result = await sendWebhook({ url: row.url, eventId: payload.id, body: JSON.stringify(payload), secrets: await validSecrets(sql, row.id), timeoutMs: deps.timeoutMs, allowPrivate: deps.allowPrivate, now: () => new Date() });
  await logAttempt(sql, row.id, payload.id, "ping", result, "api");
  return { eventId: payload.id, delivered: result.ok, responseCode: result.statusCode, durationMs: result.durationMs, error: result.error };
}

/** The subscription routes, mounted with `app.route("/", subscriptionRoutes(deps))`. */
export function subscriptionRoutes(deps: SubscriptionRoutesDeps) {
  const { sql, service } = deps;
  const guard = [deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated];
  const withJson = [...guard, jsonBodyGate({ optional: false })];
  const view = viewOf(sql);

  return apiApp()
    .openapi({ ...createSubscriptionRoute, middleware: withJson }, async (c) => {
      const body = c.req.valid("json");
      await checkUrl(deps, body.url);
      const accountIds = await ownAccounts(sql, c.get("principal").userId, body.accountIds);
      const created = await service.create(actor(c), { ...body, accountIds });
      return c.json({ subscription: await view(created.subscription), secret: created.secret, previousValidUntil: null }, 201);
    })
    .openapi({ ...listSubscriptionsRoute, middleware: guard }, async (c) => {
      const rows = await listSubscriptionsForUser(sql, c.get("principal").userId);
      return c.json({ items: await Promise.all(rows.map(view)) }, 200);
    })
    .openapi({ ...getSubscriptionRoute, middleware: guard }, async (c) => c.json(await view(await owned(sql, c, c.req.valid("param").id)), 200))
    .openapi({ ...updateSubscriptionRoute, middleware: withJson }, async (c) => {
      const { id } = c.req.valid("param");
      await owned(sql, c, id);
      const changes = c.req.valid("json");
      if (changes.url !== undefined) await checkUrl(deps, changes.url);
      const accountIds = changes.accountIds === undefined ? undefined : await ownAccounts(sql, c.get("principal").userId, changes.accountIds);
      const row = await service.update(actor(c), id, { ...changes, ...(accountIds === undefined ? {} : { accountIds }) });
      if (!row) throw notFound();
      deps.nudge();
      return c.json(await view(row), 200);
    })
    .openapi({ ...deleteSubscriptionRoute, middleware: guard }, async (c) => {
      if (!(await service.delete(actor(c), c.req.valid("param").id))) throw notFound();
      return c.json({ deleted: true as const }, 200);
    })
    .openapi({ ...rotateSecretRoute, middleware: guard }, async (c) => {
      const rotated = await service.rotateSecret(actor(c), c.req.valid("param").id);
      if (!rotated) throw notFound();
      return c.json({ subscription: await view(rotated.subscription), secret: rotated.secret, previousValidUntil: rotated.previousValidUntil }, 200);
    })
    .openapi({ ...testSubscriptionRoute, middleware: guard }, async (c) => {
      const row = await owned(sql, c, c.req.valid("param").id);
      return c.json(await testPing(deps, row), 200);
    })
    .openapi({ ...deliveriesRoute, middleware: guard }, async (c) => {
      const row = await owned(sql, c, c.req.valid("param").id);
      const items = await listDeliveries(sql, row.id, c.req.valid("query"));
      return c.json({ items: items.map(({ id: _id, ...rest }) => ({ ...rest, attemptId: _id })) }, 200);
    })
    .openapi({ ...replayRoute, middleware: withJson }, async (c) => {
      const row = await owned(sql, c, c.req.valid("param").id);
      const start = await replayStart(sql, c.req.valid("json").from);
      await rewind(sql, row.id, start);
      deps.nudge();
      return c.json({ from: `${start.transactionId}-${start.globalPosition}` }, 200);
    });
}

/** The checkpoint a replay restarts after: just before the given position, or before the first event at or after the time. */
async function replayStart(sql: Sql, from: string): Promise<LogPosition> {
  const position = decodePosition(from.replace(/^evt_(\d+)_(\d+)$/, "$1-$2"));
  if (position) return { transactionId: position.transactionId, globalPosition: Math.max(0, position.globalPosition - 1) };
  const time = Date.parse(from);
  if (!/^\d{4}-\d\d-\d\d/.test(from) || Number.isNaN(time)) throw new ApiError("VALIDATION_FAILED", "from must be a log position, an event id or an ISO-8601 time.");
  return positionBefore(sql, new Date(time));
}
