/**
 * A deployment that authenticates only with the web app's session cookie:
 * NEXTAUTH_SECRET / AUTH_SECRET set, no AUTH_JWT_SECRET or AUTH_JWKS_URL.
 * The cookie is accepted; a bearer token is refused with a 401 that says
 * what is accepted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { signToken } from "../../src/http/auth";
import { createHarness, type Harness, TEST_JWT_SECRET } from "../support/harness";
import { SESSION_ENV, sessionCookie } from "../support/session-cookies";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ ...SESSION_ENV, AUTH_JWT_SECRET: "" });
});
afterAll(() => h.close());

const request = (path: string, headers: Record<string, string>, method = "GET") => h.app.request(`http://localhost${path}`, { method, headers });

test("the service runs in session mode", () => {
  expect(h.deps.config.auth.mode).toBe("session");
});

test("the session cookie is accepted, for reads and for a same-origin POST", async () => {
  const me = await request("/api/me", { cookie: await sessionCookie("next-auth-4", "alice") });
  expect(me.status).toBe(200);
  expect(await me.json()).toEqual({ userId: "alice", roles: [] });
  const connect = await request("/api/unipile/connect-whatsapp", { cookie: await sessionCookie("authjs-5", "alice"), origin: "http://localhost" }, "POST");
  expect(connect.status).toBe(200);
  expect(await connect.json()).toMatchObject({ accountId: expect.any(String) });
});

test("a bearer token is refused with a 401 naming what is accepted, even one signed with a once-valid secret", async () => {
  const token = await signToken(TEST_JWT_SECRET, { sub: "alice" });
  const response = await request("/api/me", { authorization: `Bearer ${token}` });
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toContain("Bearer");
  expect(await response.json()).toEqual({
    error: expect.stringMatching(/Bearer tokens are not accepted.*session cookie.*AUTH_JWT_SECRET or AUTH_JWKS_URL/),
    code: "UNAUTHENTICATED",
    requestId: expect.any(String),
  });
});

test("no credential: a 401 asking for the session cookie", async () => {
  const response = await request("/api/unipile/account", { cookie: "theme=dark" });
  expect(response.status).toBe(401);
  expect(((await response.json()) as { error: string }).error).toMatch(/session cookie is required/);
});
