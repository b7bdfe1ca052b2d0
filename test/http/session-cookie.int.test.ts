/**
 * The web app's session cookie as the credential: real cookies made with
 * NextAuth 4's and Auth.js 5's own `encode`, under each cookie name the
 * libraries use, whole or chunked; expiry, wrong secrets and a missing user
 * refused; bearer tokens still accepted; a cross-site state-changing request
 * with the cookie refused (CSRF).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../support/harness";
import { COOKIE_NAMES, type CookieKind, SESSION_ENV, sessionCookie } from "../support/session-cookies";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ ...SESSION_ENV, AUTH_TRUSTED_ORIGINS: "https://app.commsync.test" });
});
afterAll(() => h.close());

const me = (headers: Record<string, string>) => h.app.request("http://localhost/api/me", { headers });
const KINDS: CookieKind[] = ["next-auth-4", "authjs-5"];
/** The chunk size both libraries cut long cookies at (4096 − 160). */
const LIBRARY_CHUNK = 3936;

async function expectError(response: Response, status: number, code: string, message: RegExp) {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ error: expect.stringMatching(message), code, requestId: expect.any(String) });
}

describe.each(KINDS)("%s session cookie", (kind) => {
  test.each([...COOKIE_NAMES[kind]])("%s identifies the user (sub)", async (name) => {
    const response = await me({ cookie: await sessionCookie(kind, "alice", { name }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: "alice", roles: [] });
  });

  test("a chunked cookie (.0, .1, …) is joined", async () => {
    const cookie = await sessionCookie(kind, "bob", { chunkSize: LIBRARY_CHUNK, claims: { image: `https://img.test/${"x".repeat(6000)}` } });
    expect(cookie).toContain(".session-token.1=");
    expect(await (await me({ cookie })).json()).toEqual({ userId: "bob", roles: [] });
  });

  test("an expired session is refused", async () => {
    await expectError(await me({ cookie: await sessionCookie(kind, "alice", { maxAge: -120 }) }), 401, "UNAUTHENTICATED", /expired/);
  });

  test("a cookie encrypted with another secret is refused", async () => {
    await expectError(await me({ cookie: await sessionCookie(kind, "alice", { secret: "another-secret-0123456789abcdefghij" }) }), 401, "UNAUTHENTICATED", /invalid/);
  });

  test("a session without a user (sub) is refused", async () => {
    await expectError(await me({ cookie: await sessionCookie(kind, undefined) }), 401, "UNAUTHENTICATED", /sub/);
  });
});

describe("the cookie beside bearer tokens", () => {
  test("a cookie under another library's name (wrong key derivation) is refused", async () => {
    const { value } = await import("../support/session-cookies").then((m) => m.sessionToken("authjs-5", "alice"));
    await expectError(await me({ cookie: `next-auth.session-token=${value}` }), 401, "UNAUTHENTICATED", /invalid/);
  });

  test("a bearer token still works, and wins over a cookie", async () => {
    const bearer = { authorization: `Bearer ${await h.token("carol")}` };
    expect(await (await me(bearer)).json()).toMatchObject({ userId: "carol" });
    expect(await (await me({ ...bearer, cookie: await sessionCookie("next-auth-4", "alice") })).json()).toMatchObject({ userId: "carol" });
  });

  test("no credential at all: 401 naming both", async () => {
    await expectError(await me({ cookie: "theme=dark" }), 401, "UNAUTHENTICATED", /bearer token is required.*session cookie/);
  });
});

describe("CSRF: a state-changing request authenticated by the cookie must come from this site", () => {
  const connect = async (headers: Record<string, string>, user = `csrf-${crypto.randomUUID()}`) =>
    h.app.request("http://localhost/api/unipile/connect-whatsapp", { method: "POST", headers: { cookie: await sessionCookie("next-auth-4", user), ...headers } });

  test("a cross-site POST (another Origin) is refused with 403 and changes nothing", async () => {
    await expectError(await connect({ origin: "https://evil.example", "sec-fetch-site": "cross-site" }), 403, "CROSS_SITE_REQUEST", /session cookie must come from this site/);
    await expectError(await connect({ origin: "https://evil.example" }), 403, "CROSS_SITE_REQUEST", /evil\.example/);
    await expectError(await connect({ "sec-fetch-site": "cross-site" }), 403, "CROSS_SITE_REQUEST", /this site/);
    await expectError(await connect({ origin: "null" }, "victim"), 403, "CROSS_SITE_REQUEST", /this site/);
    expect(await (await h.request("/api/unipile/account", { as: "victim" })).json()).toEqual({ accounts: [] });
  });

  test("same origin, a trusted origin, or no browser at all may POST", async () => {
    expect((await connect({ origin: "http://localhost", "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await connect({ origin: "http://localhost" })).status).toBe(200);
    expect((await connect({ origin: "https://app.commsync.test", "sec-fetch-site": "same-site" })).status).toBe(200);
    expect((await connect({})).status).toBe(200);
  });

  test("a cross-site GET is not state-changing: answered", async () => {
    const response = await h.app.request("http://localhost/api/unipile/account", { headers: { cookie: await sessionCookie("authjs-5", "dave"), origin: "https://evil.example", "sec-fetch-site": "cross-site" } });
    expect(response.status).toBe(200);
  });

  test("a bearer-authenticated cross-site POST is not a CSRF: answered", async () => {
    const response = await h.app.request("http://localhost/api/unipile/connect-whatsapp", { method: "POST", headers: { authorization: `Bearer ${await h.token("erin")}`, origin: "https://evil.example" } });
    expect(response.status).toBe(200);
  });
});
