/**
 * A browser app on another origin that authenticates with the web app's
 * session cookie, over real HTTP: an origin in CORS_ORIGINS gets a
 * credentialed CORS grant and passes the cookie's CSRF check (one setting);
 * AUTH_TRUSTED_ORIGINS still adds origins; any other origin is refused both.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness";
import { SESSION_ENV, sessionCookie } from "../support/session-cookies";

const ALLOWED = "https://app.commsync.example";
const TRUSTED_ONLY = "https://admin.commsync.example";
const OTHER = "https://evil.example";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ ...SESSION_ENV, CORS_ORIGINS: ALLOWED, AUTH_TRUSTED_ORIGINS: TRUSTED_ONLY });
});
afterAll(() => h.close());

/** The user's accounts, once the projection shows `expected` of them (or after 10 s, whatever it shows). */
async function accountsOf(user: string, expected: number): Promise<unknown[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const { accounts } = (await (await h.request("/api/unipile/account", { as: user })).json()) as { accounts: unknown[] };
    if (accounts.length >= expected || Date.now() > until) return accounts;
    await Bun.sleep(50);
  }
}

const preflight = (origin: string) =>
  fetch(`${h.url}/api/unipile/connect-whatsapp`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });

const connect = async (origin: string, user: string) =>
  fetch(`${h.url}/api/unipile/connect-whatsapp`, {
    method: "POST",
    headers: { origin, "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors", cookie: await sessionCookie("next-auth-4", user) },
  });

test("an origin in CORS_ORIGINS: the preflight grants credentials, and the cookie-authenticated POST is accepted", async () => {
  const grant = await preflight(ALLOWED);
  expect(grant.status).toBe(204);
  expect(grant.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  expect(grant.headers.get("access-control-allow-credentials")).toBe("true");
  const response = await connect(ALLOWED, "cors-cookie-user");
  expect(response.status).toBe(200);
  expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  expect(response.headers.get("access-control-allow-credentials")).toBe("true");
  expect(await accountsOf("cors-cookie-user", 1)).toHaveLength(1);
});

test("AUTH_TRUSTED_ORIGINS still adds origins to the CSRF check", async () => {
  expect((await connect(TRUSTED_ONLY, "trusted-only-user")).status).toBe(200);
});

test("another origin: no CORS grant, and the cookie-authenticated POST is refused and changes nothing", async () => {
  const grant = await preflight(OTHER);
  expect(grant.headers.get("access-control-allow-origin")).toBeNull();
  expect(grant.headers.get("access-control-allow-credentials")).toBeNull();
  const response = await connect(OTHER, "victim");
  expect(response.status).toBe(403);
  expect(await response.json()).toEqual({ error: expect.stringMatching(/CORS_ORIGINS/), code: "CROSS_SITE_REQUEST", requestId: expect.any(String) });
  expect(await accountsOf("cors-cookie-user", 1)).toHaveLength(1);
  expect(await accountsOf("victim", 0)).toEqual([]);
});
