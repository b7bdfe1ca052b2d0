/**
 * A browser app on another origin, in a real headless Chromium: an origin in
 * CORS_ORIGINS calls GET /api/me with a bearer token (a preflighted request)
 * and reads the answer and its exposed headers; another origin gets no grant,
 * so the browser refuses it the answer. Every response carries security
 * headers.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { launchBrowser, type TestBrowser } from "../support/browser";
import { createHarness, type Harness } from "../support/harness";

let h: Harness;
let browser: TestBrowser;
let pages: ReturnType<typeof Bun.serve>;
let allowed: string;
let other: string;

beforeAll(async () => {
  // One page server, two origins: 127.0.0.1 (allowed) and localhost (not).
  pages = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<!doctype html><title>CommSync</title>", { headers: { "content-type": "text/html" } }) });
  allowed = `http://127.0.0.1:${pages.port}`;
  other = `http://localhost:${pages.port}`;
  h = await createHarness({ CORS_ORIGINS: `${allowed}, https://app.commsync.example` }, { startRunner: false });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  await pages?.stop(true);
});

async function callMe(origin: string, token: string) {
  const recording = await browser.context();
  const page = await recording.newPage();
  await page.goto(`${origin}/`);
  const answer = await page.evaluate(
    async ({ api, token }) => {
      try {
        const response = await fetch(`${api}/api/me`, { headers: { authorization: `Bearer ${token}` } });
        return { status: response.status, body: (await response.json()) as unknown, requestId: response.headers.get("x-request-id") };
      } catch (error) {
        return { refused: String(error) };
      }
    },
    { api: h.url, token },
  );
  await recording.context.close();
  return { answer, offMachine: recording.offMachine() };
}

test("an allowed origin calls GET /api/me with a bearer token and reads the answer", async () => {
  const { answer, offMachine } = await callMe(allowed, await h.token("cors-user"));
  expect(answer).toEqual({ status: 200, body: { userId: "cors-user", roles: [] }, requestId: expect.any(String) });
  expect(offMachine).toEqual([]);
}, 30_000);

test("another origin gets no CORS grant: the browser refuses it the answer", async () => {
  const { answer } = await callMe(other, await h.token("cors-user"));
  expect(answer).toEqual({ refused: expect.stringContaining("Failed to fetch") });
  const preflight = await fetch(`${h.url}/api/me`, { method: "OPTIONS", headers: { origin: other, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
  expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
}, 30_000);

test("the preflight of an allowed origin grants the headers a send needs and exposes the rate and request headers", async () => {
  const preflight = await fetch(`${h.url}/api/unipile/message`, {
    method: "OPTIONS",
    headers: { origin: allowed, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, idempotency-key" },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get("access-control-allow-origin")).toBe(allowed);
  expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("idempotency-key");
  const answer = await fetch(`${h.url}/api/me`, { headers: { origin: allowed } });
  expect(answer.status).toBe(401);
  expect(answer.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
  expect(answer.headers.get("access-control-expose-headers")).toContain("Retry-After");
});

test("every response carries security headers; the API's CSP loads nothing", async () => {
  for (const path of ["/api/me", "/health", "/api/nothing-here", "/openapi.json"]) {
    const response = await fetch(`${h.url}${path}`);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.get("strict-transport-security")).toContain("max-age=");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
  }
  const docs = await fetch(`${h.url}/docs`);
  expect(docs.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[^']+'/);
  expect(docs.headers.get("content-security-policy")).toContain("connect-src 'self'");
});
