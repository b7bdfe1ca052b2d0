import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { z } from "zod";
import type { AppEnv } from "../../src/http/app-env";
import { ApiError, handleError } from "../../src/http/errors";
import { validate } from "../../src/http/validation";
import { createHarness, type Harness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const errorShape = (code: string) => ({ error: expect.any(String), code, requestId: expect.any(String) });

describe("operations routes", () => {
  test("/health and /ready answer 200 on a migrated database", async () => {
    expect(await (await h.request("/health")).json()).toEqual({ status: "ok" });
    const ready = await h.request("/ready");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", checks: { database: { ok: true }, migrations: { ok: true } } });
  });

  test("every route the app serves is in the OpenAPI 3.1 document", async () => {
    const doc = (await (await h.request("/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const undocumented = h.app.routes
      .filter((r) => r.method !== "ALL")
      .filter((r) => !doc.paths[r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.path}`);
    expect(undocumented).toEqual([]);
    expect(Object.keys(doc.paths)).toContain("/ready");
    const page = await h.request("/docs");
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(await page.text()).toContain('src="/docs/scalar.js"');
  });

  test("unknown routes are 404 in the error shape, with the request id", async () => {
    const response = await h.request("/api/nothing-here", { headers: { "x-request-id": "req-abc-123" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ ...errorShape("ROUTE_NOT_FOUND"), requestId: "req-abc-123" });
    expect(response.headers.get("x-request-id")).toBe("req-abc-123");
  });

  test("an oversized body is 413 in the error shape", async () => {
    const response = await h.request("/api/unipile/sync", { method: "POST", as: "big-body", headers: { "content-type": "application/json" }, body: "x".repeat(2 * 1024 * 1024) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual(errorShape("PAYLOAD_TOO_LARGE"));
  });
});

describe("input validation", () => {
  // The platform pieces every route uses, on a route of their own.
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(bodyLimit({ maxSize: 64, onError: () => { throw new ApiError("PAYLOAD_TOO_LARGE", "too large"); } }));
  app.onError(handleError);
  app.post("/echo", validate("json", z.object({ name: z.string().min(1) })), (c) => c.json(c.req.valid("json")));
  app.get("/boom", () => {
    throw new Error("database exploded: password=hunter2");
  });

  test("valid JSON passes", async () => {
    const response = await app.request("/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"x"}' });
    expect(await response.json()).toEqual({ name: "x" });
  });

  test("malformed JSON is 400 MALFORMED_JSON", async () => {
    const response = await app.request("/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(errorShape("MALFORMED_JSON"));
  });

  test("a body that is not JSON is 415", async () => {
    const response = await app.request("/echo", { method: "POST", headers: { "content-type": "text/plain" }, body: "name=x" });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual(errorShape("UNSUPPORTED_MEDIA_TYPE"));
  });

  test("a schema failure is 400 with details naming the field", async () => {
    const response = await app.request("/echo", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":""}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ ...errorShape("VALIDATION_FAILED"), details: [{ path: "name", message: expect.any(String) }] });
  });

  test("an unexpected error is a 500 that tells nothing of its cause", async () => {
    const response = await app.request("/boom");
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual(errorShape("INTERNAL_ERROR"));
    expect(body).not.toContain("hunter2");
  });
});
