/**
 * @module http/browser
 * What browsers need: CORS for the allowed origins, and security headers on
 * every response. The Content-Security-Policy of each page is chosen here,
 * in one table (`PAGE_POLICIES`): the API answers JSON and gets the
 * strictest policy; /docs (Scalar, served from the service itself) and the
 * console pages get one they can run under.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./app-env";

type ContentSecurityPolicy = NonNullable<Exclude<Parameters<typeof secureHeaders>[0], undefined>["contentSecurityPolicy"]>;

/** JSON answers load nothing and are framed by nothing. */
const API_POLICY: ContentSecurityPolicy = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

/**
 * The console (a React app served at `/` and `/console`): its scripts and
 * styles from the service only, images also from data: and blob: URLs,
 * requests to the service only.
 */
export const CONSOLE_POLICY: ContentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:", "blob:"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * /docs: Scalar's script from the service (/docs/scalar.js) and its inline
 * start-up script by nonce; Scalar injects its styles at run time, so
 * inline styles are allowed on this page; "try it" calls the service only.
 */
const DOCS_POLICY: ContentSecurityPolicy = {
  ...CONSOLE_POLICY,
  scriptSrc: ["'self'", NONCE],
  styleSrc: ["'self'", "'unsafe-inline'"],
  workerSrc: ["'self'", "blob:"],
};

/** Path prefixes and their page policy, first match wins; anything else gets `API_POLICY`. */
export const PAGE_POLICIES: readonly { prefix: string; exact?: boolean; policy: ContentSecurityPolicy }[] = [
  { prefix: "/docs", policy: DOCS_POLICY },
  { prefix: "/console", policy: CONSOLE_POLICY },
  { prefix: "/", exact: true, policy: CONSOLE_POLICY },
];

const matches = (path: string, entry: { prefix: string; exact?: boolean }) =>
  entry.exact ? path === entry.prefix : path === entry.prefix || path.startsWith(`${entry.prefix}/`);

/** `hono/secure-headers` on every response, with the page's CSP. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  const base = { crossOriginResourcePolicy: "same-origin", crossOriginEmbedderPolicy: false, referrerPolicy: "no-referrer" } as const;
  const api = secureHeaders({ ...base, contentSecurityPolicy: API_POLICY });
  const pages = PAGE_POLICIES.map((entry) => ({ entry, middleware: secureHeaders({ ...base, contentSecurityPolicy: entry.policy }) }));
  return (c, next) => (pages.find((p) => matches(c.req.path, p.entry))?.middleware ?? api)(c, next);
}

/** Response headers a browser app may read. */
export const EXPOSED_HEADERS = [
  "X-Request-Id",
  "Retry-After",
  "RateLimit",
  "RateLimit-Policy",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "X-Audit-Resume-Cursor",
];

/**
 * CORS for the configured origins (`CORS_ORIGINS`) and the service's own
 * (`PUBLIC_URL`); another origin gets no grant (no Access-Control-Allow-Origin).
 * Credentials are allowed (`Access-Control-Allow-Credentials: true`) so that a
 * browser app on an allowed origin can use the web app's session cookie; the
 * grant names the origin, never `*`, and the same origins pass the cookie's
 * CSRF check (config.ts adds CORS_ORIGINS to the trusted origins).
 */
export function corsFor(options: { origins: readonly string[]; publicUrl?: string }): MiddlewareHandler<AppEnv> {
  const allowed = new Set(options.origins);
  if (options.publicUrl) allowed.add(new URL(options.publicUrl).origin);
  const grant = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "X-Request-Id"],
    exposeHeaders: EXPOSED_HEADERS,
    credentials: true,
    maxAge: 600,
  });
  // hono/cors sends Allow-Credentials to every origin; only a granted origin gets it here.
  return async (c, next) => {
    const preflight = await grant(c, next);
    // Both: Hono copies c.res's headers into a returned preflight answer.
    for (const response of [preflight, c.res]) {
      if (response && !response.headers.has("access-control-allow-origin")) response.headers.delete("access-control-allow-credentials");
    }
    return preflight;
  };
}
