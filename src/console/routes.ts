/**
 * @module console/routes
 * What the console needs beside the API:
 * - `GET /console/session`: how to sign in. In development mode (no
 *   AUTH_JWT_SECRET or AUTH_JWKS_URL: the service already prints a token for
 *   `dev-user`) it hands the same-origin page that token, so the console signs
 *   in by itself; otherwise it says a token (or the app's cookie) is needed.
 * - In sandbox mode only (no UNIPILE_DSN), `POST /api/console/sandbox/scan`
 *   and `/incoming`: the sandbox's "the phone scanned the QR" and "a contact
 *   wrote" controls, for the caller's own account or conversation. The page
 *   may connect to its own origin only (CSP), and the sandbox's controls need
 *   its API key, so the service forwards them.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { getAccountForUser } from "../accounts";
import type { Queryable } from "../db/client";
import { developmentToken, type VerifiedAuthConfig } from "../http/auth";
import { ApiError } from "../http/errors";
import { apiApp, BEARER, ERRORS, json, OPEN, type RouteGuards } from "../http/openapi-app";
import { jsonBodyGate } from "../http/validation";
import { getConversationForUser } from "../conversations";

export interface ConsoleRoutesDeps {
  sql: Queryable;
  guards: RouteGuards;
  /** Development mode: the configured auth mode, and the secret it resolved to. */
  development: boolean;
  auth: VerifiedAuthConfig;
  /** Sandbox mode: the sandbox's controls (null otherwise: the sandbox routes do not exist). */
  sandbox: { url: string; apiKey: string } | null;
}

const AccountQuery = z.object({ accountId: z.uuid({ error: "accountId must be a UUID" }) });
const ConversationQuery = z.object({ conversationId: z.uuid({ error: "conversationId must be a UUID" }) });
const ScanBody = z.object({
  phoneNumber: z.string().regex(/^\+?[1-9]\d{6,14}$/, "a phone number with country code").optional(),
  name: z.string().min(1).max(100).optional(),
});
const IncomingBody = z.object({ text: z.string().min(1).max(4096).default("Hello from the sandbox 👋") });

/** Sandbox history seeded on a simulated scan, so the import shows progress. */
const SCAN_HISTORY = { chats: 3, messages_per_chat: 4 };

const SessionSchema = z.object({
  mode: z.enum(["development", "token"]).describe("development: the token signs in as the development user; token: bring a token (or the app's cookie)"),
  token: z.string().nullable(),
  sandbox: z.boolean().describe("The service runs on its Unipile sandbox (the console shows its simulate controls)"),
});

const tags = ["console"];
const sessionRoute = createRoute({
  method: "get",
  path: "/console/session",
  operationId: "consoleSession",
  tags,
  summary: "How the console signs in: in development mode, the development user's token for this same-origin page",
  security: OPEN,
  responses: { 200: json(SessionSchema, "Sign-in mode"), ...ERRORS },
});
const scanRoute = createRoute({
  method: "post",
  path: "/api/console/sandbox/scan",
  operationId: "consoleSandboxScan",
  tags,
  summary: "Sandbox mode only: the phone scans the QR code of one of your accounts (with a small history to import)",
  security: BEARER,
  request: { query: AccountQuery, body: { required: false, content: { "application/json": { schema: ScanBody } } } },
  responses: { 200: json(z.object({ scanned: z.literal(true) }), "Scanned"), ...ERRORS },
});
const incomingRoute = createRoute({
  method: "post",
  path: "/api/console/sandbox/incoming",
  operationId: "consoleSandboxIncoming",
  tags,
  summary: "Sandbox mode only: a contact writes in one of your conversations",
  security: BEARER,
  request: { query: ConversationQuery, body: { required: false, content: { "application/json": { schema: IncomingBody } } } },
  responses: { 200: json(z.object({ written: z.literal(true), messageId: z.string().nullable() }), "Written"), ...ERRORS },
});

/** The console's routes; outside sandbox mode the sandbox routes answer 404 ROUTE_NOT_FOUND. */
export function consoleRoutes(deps: ConsoleRoutesDeps) {
  const guard = [deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated];
  const forward = async (path: string, body: unknown) => {
    const sandbox = deps.sandbox;
    if (!sandbox) throw new ApiError("ROUTE_NOT_FOUND", "The sandbox controls exist in sandbox mode only.");
    const response = await fetch(`${sandbox.url}/sandbox${path}`, {
      method: "POST",
      headers: { "X-API-KEY": sandbox.apiKey, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    }).catch(() => null);
    if (!response) throw new ApiError("UPSTREAM_FAILED", "The sandbox did not answer.");
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const detail = typeof answer.detail === "string" ? answer.detail : `status ${response.status}`;
      throw new ApiError(response.status === 409 ? "CONFLICT" : "UPSTREAM_FAILED", `The sandbox refused: ${detail}`);
    }
    return answer;
  };
  const sandboxOnly = () => {
    if (!deps.sandbox) throw new ApiError("ROUTE_NOT_FOUND", "The sandbox controls exist in sandbox mode only.");
  };

  return apiApp()
    .openapi({ ...sessionRoute, middleware: [deps.guards.shed] }, async (c) => {
      c.header("Cache-Control", "no-store");
      const site = c.req.header("sec-fetch-site");
      const sameOrigin = site === undefined || site === "same-origin" || site === "none";
      const sandbox = deps.sandbox !== null;
      if (deps.development && deps.auth.mode === "secret" && sameOrigin) {
        const { token } = await developmentToken(deps.auth);
        return c.json({ mode: "development" as const, token, sandbox }, 200);
      }
      return c.json({ mode: "token" as const, token: null, sandbox }, 200);
    })
    .openapi({ ...scanRoute, middleware: [...guard, jsonBodyGate({ optional: true })] }, async (c) => {
      sandboxOnly();
      const account = await getAccountForUser(deps.sql, c.req.valid("query").accountId, c.get("principal").userId);
      if (!account) throw new ApiError("ACCOUNT_NOT_FOUND", "No such account.");
      const body = c.req.valid("json") ?? {};
      const phone = body.phoneNumber ?? `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
      await forward(`/accounts/${encodeURIComponent(account.unipileAccountId)}/scan`, { phone_number: phone, name: body.name ?? "Sandbox phone", history: SCAN_HISTORY });
      return c.json({ scanned: true as const }, 200);
    })
    .openapi({ ...incomingRoute, middleware: [...guard, jsonBodyGate({ optional: true })] }, async (c) => {
      sandboxOnly();
      const userId = c.get("principal").userId;
      const conversation = await getConversationForUser(deps.sql, c.req.valid("query").conversationId, userId);
      if (!conversation) throw new ApiError("CONVERSATION_NOT_FOUND", "No such conversation.");
      const own = conversation.accountId ? await getAccountForUser(deps.sql, conversation.accountId, userId) : null;
      const ownPhone = own?.phoneNumber?.replace(/\D/g, "") ?? null;
      const contact = conversation.attendees.find((a) => a.phone && a.phone.replace(/\D/g, "") !== ownPhone);
      const from = contact?.phone ? `+${contact.phone.replace(/^\+/, "")}` : "+15550100100";
      const body = c.req.valid("json") ?? { text: "Hello from the sandbox 👋" };
      const answer = await forward(`/accounts/${encodeURIComponent(conversation.unipileAccountId)}/incoming`, {
        from,
        name: contact?.name ?? undefined,
        text: body.text,
        chat_id: conversation.unipileChatId,
      });
      return c.json({ written: true as const, messageId: typeof answer.message_id === "string" ? answer.message_id : null }, 200);
    });
}
