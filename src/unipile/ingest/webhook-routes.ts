/**
 * @module unipile/ingest/webhook-routes
 * `POST /api/unipile/webhook`: every Unipile delivery. The `Unipile-Auth`
 * secret is compared in constant time (401 otherwise, nothing recorded). The
 * raw body is parsed whatever its content type (API-created webhooks send
 * none). All three body shapes are accepted; a shape we do not know is
 * recorded, not rejected. The answer, exactly 200, comes only after the fact
 * is durably in the log, and retries of one delivery are one fact. What a
 * messaging fact names but does not describe (a new chat, a message a
 * reaction or edit overtook) is looked up afterwards, in the background.
 * Every valid JSON body is recorded: text Postgres cannot store is replaced
 * in the event and the body's bytes are kept beside it (event-store/rows.ts);
 * a fact the log still refuses is recorded as an `UnprocessableFact`.
 */
import { metrics } from "../../platform/metrics";
import { createHash, timingSafeEqual } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { AccountMonitor, AccountsService } from "../../accounts";
import { type EventStore, systemMetadata } from "../../event-store";
import type { EventMetadata } from "../../event-store/event";
import type { AppEnv } from "../../http/app-env";
import { ApiError } from "../../http/errors";
import { jsonMaxDepth, parseJsonText } from "../../http/json-body";
import { EXAMPLES } from "../../http/examples";
import { ERRORS, json as jsonContent, openapiOwnBody } from "../../http/openapi-app";
import type { Clock } from "../../lib/clock";
import type { MessagingFetcher } from "./lookups";
import { classifyWebhookBody } from "..";
import { translateWebhook } from "./webhook-facts";

export interface WebhookRoutesDeps {
  secret: string;
  eventStore: EventStore;
  accounts: AccountsService;
  monitor: Pick<AccountMonitor, "checkSoon">;
  /** Looks up chats and messages a webhook names but the log does not describe. */
  fetcher: Pick<MessagingFetcher, "chatSeen" | "messageNamed">;
  clock: Clock;
  /** Load shedding of webhook deliveries, then the body limit. */
  guards: MiddlewareHandler<AppEnv>[];
}

const digest = (value: string | Uint8Array) => createHash("sha256").update(value).digest();

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Lossy = new TextDecoder("utf-8");

/**
 * The body as text, and as the bytes that came: bytes that are not UTF-8
 * are decoded with U+FFFD (`lossy`), and the log then keeps the bytes
 * beside the event (`received`, see event-store/rows.ts).
 */
export function decodeBody(bytes: Uint8Array): { text: string; received: { bytes: Uint8Array; lossy: boolean } } {
  try {
    return { text: utf8.decode(bytes), received: { bytes, lossy: false } };
  } catch {
    return { text: utf8Lossy.decode(bytes), received: { bytes, lossy: true } };
  }
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

const AckSchema = z
  .object({
  received: z.literal(true),
  kind: z.enum(["account_status", "hosted_auth", "messaging", "unknown"]),
  duplicate: z.boolean().describe("True when this delivery was already recorded"),
  position: z.number().describe("The fact's position in the log"),
  })
  .meta({ id: "WebhookAck" });

const webhookRoute = createRoute({
  method: "post",
  path: "/api/unipile/webhook",
  operationId: "receiveUnipileWebhook",
  tags: ["webhooks"],
  summary: "Unipile webhook deliveries (messaging, account status, hosted auth); Unipile-Auth header required",
  description:
    "Called by Unipile, not by CommSync's web app. Any JSON body is recorded, whatever its Content-Type; the answer (exactly 200) comes once the fact is durably in the log, and retries of one delivery are one fact.",
  security: [{ unipileAuth: [] }],
  request: {
    body: {
      required: true,
      description: "One of Unipile's three body shapes (messaging, account status, hosted auth); an unknown shape is recorded too",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()).meta({ id: "UnipileWebhookBody" }), example: EXAMPLES.webhook } },
    },
  },
  responses: { 200: jsonContent(AckSchema, "Durably recorded"), ...ERRORS },
});

/** The webhook route, mounted with `app.route("/", webhookRoutes(deps))`; it reads its raw body itself. */
export function webhookRoutes(deps: WebhookRoutesDeps) {
  return openapiOwnBody({ ...webhookRoute, middleware: deps.guards }, async (c) => {
    if (!secretMatches(c.req.header("unipile-auth"), deps.secret)) {
      throw new ApiError("UNAUTHENTICATED", "The Unipile-Auth header is missing or wrong.");
    }
    const { text, received } = decodeBody(new Uint8Array(await c.req.arrayBuffer()));
    const json = parseJsonText(text, jsonMaxDepth(c), "The webhook body");
    const metadata: EventMetadata = systemMetadata("webhook", deps.clock, { actor: "unipile", requestId: c.get("requestId") });
    const classified = classifyWebhookBody(json);
    const fact = translateWebhook(classified, json);

    if (fact.kind === "status") {
      const result = await deps.accounts.recordStatus({ ...fact, metadata, received });
      if (!result.duplicate) deps.monitor.checkSoon(fact.unipileAccountId);
      metrics.webhooks.inc({ kind: classified.kind, duplicate: String(result.duplicate) });
      return c.json({ received: true as const, kind: classified.kind, duplicate: result.duplicate, position: result.globalPosition }, 200);
    }
    const dedupeKey = fact.dedupeKey ?? `unipile-webhook:${digest(received.bytes).toString("hex")}`;
    const [result] = await deps.eventStore.appendFactsGrouped([{ streamId: fact.streamId, type: fact.type, data: fact.data, metadata, dedupeKey, received }]);
    if (!result) throw new Error("webhook fact not stored");
    metrics.webhooks.inc({ kind: classified.kind, duplicate: String(result.duplicate) });
    if (result.unprocessable) c.get("logger").warn({ position: result.globalPosition, streamId: fact.streamId }, "webhook refused by the log; recorded as UnprocessableFact");
    if (classified.kind === "messaging" && !result.duplicate && !result.unprocessable) {
      const body = classified.body;
      // Unipile does not announce new chats: the first fact of a chat's stream asks for its details.
      if (result.streamVersion === 1) deps.fetcher.chatSeen(body.chat_id, dedupeKey, body.account_id);
      if (classified.known && body.event !== "message_received") deps.fetcher.messageNamed(body.message_id, dedupeKey, body.account_id);
    }
    return c.json({ received: true as const, kind: classified.kind, duplicate: result.duplicate, position: result.globalPosition }, 200);
  });
}
