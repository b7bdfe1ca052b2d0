/**
 * @module http/openapi-app
 * What every route declaration is built from. A feature folder builds its
 * sub-app with `apiApp()` and declares each route once with `createRoute`
 * (method, path, request schemas, responses, security, the middleware that
 * guards it) and `app.openapi(route, handler)`: the same zod schemas then
 * validate the request, describe it in `/openapi.json`, and type the
 * `hc<AppType>` client.
 */
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./app-env";
import { ErrorBodySchema } from "./errors";
import { EXAMPLES } from "./examples";
import { validationHook } from "./validation";

/** A sub-app (or the app) whose validation failures answer in the one error shape. */
export const apiApp = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** What guards a feature's routes, built once by `createApp` and shared (the in-flight bounds are counters). */
export interface RouteGuards {
  /** Load shedding of API requests (503 OVERLOADED past the bound). */
  shed: MiddlewareHandler<AppEnv>;
  /** The default request body limit (413 PAYLOAD_TOO_LARGE). */
  bodyLimit: MiddlewareHandler<AppEnv>;
  /** A valid bearer JWT (401 otherwise); sets `c.var.principal`. */
  authenticated: MiddlewareHandler<AppEnv>;
}

/** The route needs a bearer JWT. */
export const BEARER = [{ bearer: [] }];
/** The route needs a bearer JWT with the auditor role (403 without it). */
export const AUDITOR = { security: BEARER, "x-required-role": "auditor" } as const;
/** The route is open (health, the documents). */
export const OPEN: RouteConfig["security"] = [];

/** A JSON answer (with an example: a real answer, see http/examples). */
export const json = <T extends z.ZodType>(schema: T, description: string, example?: unknown) => ({
  description,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/** Every route may answer an error in the one shape: `{error, code, requestId}`. */
export const ERRORS = {
  default: {
    description: "An error: `code` says which (VALIDATION_FAILED, UNAUTHENTICATED, ACCOUNT_NOT_FOUND, …)",
    content: { "application/json": { schema: ErrorBodySchema, example: EXAMPLES.error } },
  },
} as const;

/** `Idempotency-Key`, as the send route documents it. */
export const IDEMPOTENCY_KEY_DESCRIPTION =
  "Retries (even concurrent ones) with the same key send once and answer the first answer again (`replayed: true`); 1–255 visible ASCII characters.";

declare const probe: OpenAPIHono<AppEnv>;
/** The type `app.openapi(route, …)` gives a sub-app of one route. */
export type WithRoute<R extends RouteConfig> = ReturnType<typeof probe.openapi<R>>;

/**
 * Declares a route whose handler reads the body itself (the raw bytes of a
 * webhook, a JSON-or-multipart send with its files): the body is in the
 * document and the client types, but the handler, not the library, reads
 * and validates it, so its own limits and error codes hold. `Typed`, when
 * given, is the declaration the client types follow (one body type: the
 * library would make a client send every media type a route accepts).
 */
export function openapiOwnBody<R extends RouteConfig, Typed extends RouteConfig = R>(route: R, handler: (c: Context<AppEnv>) => Promise<Response>): WithRoute<Typed> {
  const app = apiApp();
  const { middleware: _guards, ...documented } = route;
  app.openAPIRegistry.registerPath(documented);
  const { request: _declared, ...rest } = route;
  app.openapi({ ...rest, hide: true } as RouteConfig, handler as never);
  return app as unknown as WithRoute<Typed>;
}
