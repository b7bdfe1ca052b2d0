/**
 * @module http/docs
 * The API contract and its page. `GET /openapi.json` is generated from the
 * route declarations (OpenAPI 3.1, reusable schemas under `components`);
 * `GET /docs` is Scalar's reference, whose script the service serves itself
 * (`/docs/scalar.js`, from node_modules): the page works offline and under
 * a strict CSP, and "try it" calls this service.
 */
import { dirname, join } from "node:path";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { z } from "zod";
import type { AppEnv } from "./app-env";
import { apiApp, ERRORS, OPEN } from "./openapi-app";

export const API_INFO = {
  title: "commsync-unipile",
  version: "0.1.0",
  description: [
    "Event-sourced WhatsApp messaging backend for CommSync, on Unipile.",
    "",
    "**Authentication.** Every `/api` route but the webhook needs `Authorization: Bearer <jwt>`; the audit routes also need the `auditor` role. " +
      "In development the service prints a token for user `dev-user` when it starts; `bun run token -- --sub alice [--role auditor]` mints one for any user. " +
      "Paste it under *Authentication* (bearer) to try the calls on this page.",
    "",
    "**Errors** are always `{error, code, requestId}` (validation failures add `details`).",
  ].join("\n"),
};

/** Tags in the order a newcomer needs them. */
export const TAGS = [
  { name: "accounts", description: "Link a WhatsApp account (QR or pairing code), follow its status, disconnect it" },
  { name: "messages", description: "Send (JSON or multipart with attachments), read a conversation's messages, download attachments" },
  { name: "conversations", description: "The caller's conversations, newest first; mark read" },
  { name: "live", description: "Server-sent events of the caller's changes, resumable with Last-Event-ID" },
  { name: "sync", description: "Fill gaps from Unipile now; the background sync's state" },
  { name: "webhooks", description: "Unipile's deliveries to this service (Unipile-Auth)" },
  { name: "subscriptions", description: "The caller's own webhook subscriptions: signed deliveries of their events" },
  { name: "audit", description: "The event log, past states and projection checks (auditor role)" },
  { name: "operations", description: "Liveness, readiness and this contract" },
  { name: "console", description: "The console served at / (its pages, its sign-in, its sandbox-mode controls)" },
];

const SECURITY_SCHEMES = {
  bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A JWT whose `sub` is the CommSync user id" },
  unipileAuth: { type: "apiKey", in: "header", name: "Unipile-Auth", description: "The webhook secret (UNIPILE_WEBHOOK_SECRET) Unipile sends with each delivery" },
} as const;

const documentRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "openApiDocument",
  tags: ["operations"],
  summary: "This API as an OpenAPI 3.1 document",
  security: OPEN,
  responses: { 200: { description: "The OpenAPI document", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } }, ...ERRORS },
});

const pageRoute = createRoute({
  method: "get",
  path: "/docs",
  operationId: "docsPage",
  tags: ["operations"],
  summary: "This API as a readable page where calls can be tried",
  security: OPEN,
  responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } }, ...ERRORS },
});

const scriptRoute = createRoute({
  method: "get",
  path: "/docs/scalar.js",
  operationId: "docsScript",
  tags: ["operations"],
  summary: "The script of the docs page (Scalar's standalone bundle), served here rather than from a CDN",
  security: OPEN,
  responses: { 200: { description: "JavaScript", content: { "text/javascript": { schema: z.string() } } }, ...ERRORS },
});

/** Scalar's single-file bundle, as installed. */
const scalarScript = () => join(dirname(Bun.resolveSync("@scalar/api-reference", import.meta.dir)), "browser", "standalone.js");

/** The whole contract of `app`: every declared route, the tags, the security schemes, the servers. */
export function apiDocument(app: OpenAPIHono<AppEnv>, options: { publicUrl?: string }) {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: API_INFO,
    servers: [{ url: options.publicUrl ?? "/", description: options.publicUrl ? "PUBLIC_URL" : "This service" }],
    tags: TAGS,
    security: [{ bearer: [] }],
  });
}

/** `/openapi.json`, `/docs` and `/docs/scalar.js`; `document` is built once, on first use (every route is mounted by then). */
export function docsRoutes(document: () => unknown) {
  let built: unknown;
  return apiApp()
    .openapi(documentRoute, (c) => c.json((built ??= document()) as Record<string, unknown>, 200))
    .openapi(scriptRoute, () => new Response(Bun.file(scalarScript()), { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" } }) as never)
    .openapi(
      pageRoute,
      Scalar<AppEnv>((c) => ({
        url: "/openapi.json",
        cdn: "/docs/scalar.js",
        nonce: c.get("secureHeadersNonce"),
        pageTitle: `${API_INFO.title} API`,
        withDefaultFonts: false,
        telemetry: false,
        showDeveloperTools: "never",
      })) as never,
    );
}
