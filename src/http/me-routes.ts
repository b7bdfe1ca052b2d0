/**
 * @module http/me-routes
 * `GET /api/me`: the authenticated caller, as the service sees the token.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { apiApp, BEARER, ERRORS, json, type RouteGuards } from "./openapi-app";

const CallerSchema = z.object({ userId: z.string().describe("The token's subject"), roles: z.array(z.string()) }).meta({ id: "Caller" });

const meRoute = createRoute({
  method: "get",
  path: "/api/me",
  operationId: "getMe",
  tags: ["accounts"],
  summary: "The authenticated caller, as the service sees the token",
  security: BEARER,
  responses: { 200: json(CallerSchema, "Caller"), ...ERRORS },
});

export function meRoutes(guards: RouteGuards) {
  return apiApp().openapi({ ...meRoute, middleware: [guards.shed, guards.bodyLimit, guards.authenticated] }, (c) => {
    const { userId, roles } = c.get("principal");
    return c.json({ userId, roles: [...roles] }, 200);
  });
}
