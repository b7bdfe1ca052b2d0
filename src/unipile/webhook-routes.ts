/**
 * @module unipile/webhook-routes
 * `POST /api/unipile/webhook`: every Unipile delivery. The `Unipile-Auth`
 * secret is compared in constant time (401 otherwise, nothing recorded). The
 * raw body is parsed whatever its content type (API-created webhooks send
 * none). All three body shapes are accepted; a shape we do not know is
 * recorded, not rejected. The answer, exactly 200, comes only after the fact
 * is durably in the log, and retries of one delivery are one fact. What a
 * messaging fact names but does not describe (a new chat, a message a
 * reaction or edit overtook) is looked up afterwards, in the background.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Hono } from "hono";
import { z } from "zod";
import type { AccountMonitor } from "../accounts/monitor";
import type { AccountsService } from "../accounts/service";
import type { EventStore } from "../event-store";
import type { EventMetadata } from "../event-store/event";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { jsonMaxDepth, parseJsonText } from "../http/json-body";
import type { ApiDocs } from "../http/openapi";
import type { Clock } from "../lib/clock";
import type { MessagingFetcher } from "../messaging/fetcher";
import { classifyWebhookBody } from "./payloads";
import { translateWebhook } from "./translate";

export interface WebhookRoutesDeps {
  secret: string;
  eventStore: EventStore;
  accounts: AccountsService;
  monitor: Pick<AccountMonitor, "checkSoon">;
  /** Looks up chats and messages a webhook names but the log does not describe. */
  fetcher: Pick<MessagingFetcher, "chatSeen" | "messageNamed">;
  clock: Clock;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant-time comparison (hashing first makes the lengths equal). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

const AckSchema = z.object({
  received: z.literal(true),
  kind: z.enum(["account_status", "hosted_auth", "messaging", "unknown"]),
  duplicate: z.boolean().describe("True when this delivery was already recorded"),
  position: z.number().describe("The fact's position in the log"),
});

export function registerWebhookRoutes(app: Hono<AppEnv>, deps: WebhookRoutesDeps, docs: ApiDocs) {
  docs.add({
    method: "post",
    path: "/api/unipile/webhook",
    summary: "Unipile webhook deliveries (messaging, account status, hosted auth); Unipile-Auth header required",
    tags: ["webhooks"],
    auth: false,
    body: z.record(z.string(), z.unknown()),
    responses: { 200: { description: "Durably recorded", schema: AckSchema } },
  });
  app.post("/api/unipile/webhook", async (c) => {
    if (!secretMatches(c.req.header("unipile-auth"), deps.secret)) {
      throw new ApiError("UNAUTHENTICATED", "The Unipile-Auth header is missing or wrong.");
    }
    const text = await c.req.text();
    const json = parseJsonText(text, jsonMaxDepth(c), "The webhook body");
    const receivedAt = deps.clock.now().toISOString();
    const metadata: EventMetadata = { source: "webhook", actor: "unipile", requestId: c.get("requestId"), receivedAt };
    const classified = classifyWebhookBody(json);
    const fact = translateWebhook(classified, json);

    if (fact.kind === "status") {
      const result = await deps.accounts.recordStatus({ ...fact, metadata });
      if (!result.duplicate) deps.monitor.checkSoon(fact.unipileAccountId);
      return c.json({ received: true as const, kind: classified.kind, duplicate: result.duplicate, position: result.globalPosition }, 200);
    }
    const dedupeKey = fact.dedupeKey ?? `unipile-webhook:${digest(text).toString("hex")}`;
    const [result] = await deps.eventStore.appendFactsGrouped([{ streamId: fact.streamId, type: fact.type, data: fact.data, metadata, dedupeKey }]);
    if (!result) throw new Error("webhook fact not stored");
    if (classified.kind === "messaging" && !result.duplicate) {
      const body = classified.body;
      // Unipile does not announce new chats: the first fact of a chat's stream asks for its details.
      if (result.streamVersion === 1) deps.fetcher.chatSeen(body.chat_id, dedupeKey);
      if (classified.known && body.event !== "message_received") deps.fetcher.messageNamed(body.message_id, dedupeKey);
    }
    return c.json({ received: true as const, kind: classified.kind, duplicate: result.duplicate, position: result.globalPosition }, 200);
  });
}
