import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { createHarness, type Harness, TEST_JWT_SECRET } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ AUTH_AUDIENCE: "commsync", AUTH_ISSUER: "https://auth.commsync.test" });
});
afterAll(() => h.close());

const key = new TextEncoder().encode(TEST_JWT_SECRET);
const base = () =>
  new SignJWT({ roles: ["auditor"] })
    .setSubject("alice")
    .setIssuer("https://auth.commsync.test")
    .setAudience("commsync")
    .setIssuedAt();

async function expect401(response: Response, message: RegExp) {
  expect(response.status).toBe(401);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toEqual({ error: expect.stringMatching(message), code: "UNAUTHENTICATED", requestId: expect.any(String) });
  expect(response.headers.get("www-authenticate")).toStartWith("Bearer");
}

const me = (token?: string) => h.app.request("/api/me", { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("bearer JWT", () => {
  test("a valid token identifies the caller and its roles", async () => {
    const token = await base().setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(key);
    const response = await me(token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: "alice", roles: ["auditor"] });
  });

  test("missing token", async () => {
    await expect401(await me(), /bearer token is required/);
    await expect401(await h.app.request("/api/me", { headers: { authorization: "Basic YWxpY2U6eA==" } }), /bearer token/);
  });

  test("expired token", async () => {
    const token = await base().setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key);
    await expect401(await me(token), /expired/);
  });

  test("bad signature", async () => {
    const token = await base().setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(new TextEncoder().encode("another-secret-that-is-long-enough-000000"));
    await expect401(await me(token), /signature/);
  });

  test("alg: none", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({ sub: "alice", aud: "commsync", iss: "https://auth.commsync.test", exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString("base64url");
    await expect401(await me(`${header}.${payload}.`), /invalid|algorithm/);
  });

  test("an algorithm outside the allow-list", async () => {
    const token = await base().setProtectedHeader({ alg: "HS512" }).setExpirationTime("5m").sign(key);
    await expect401(await me(token), /algorithm/);
  });

  test("wrong audience and wrong issuer", async () => {
    const wrongAudience = await base().setAudience("someone-else").setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(key);
    await expect401(await me(wrongAudience), /aud/);
    const wrongIssuer = await base().setIssuer("https://evil.test").setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(key);
    await expect401(await me(wrongIssuer), /iss/);
  });

  test("a token without subject", async () => {
    const token = await new SignJWT({})
      .setIssuer("https://auth.commsync.test")
      .setAudience("commsync")
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime("5m")
      .sign(key);
    await expect401(await me(token), /subject/);
  });

  test("tokens never reach the logs", async () => {
    const token = await base().setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m").sign(key);
    await me(token);
    await me(`${token}x`);
    const output = h.logs.join("");
    expect(output).toContain('"route":"/api/me"');
    expect(output).not.toContain(token.slice(-20));
    expect(output).not.toContain(TEST_JWT_SECRET);
  });
});
