import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SignJWT } from "jose";
import { developmentToken } from "../../src/http/auth";
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

describe("token times", () => {
  const HOUR = 3600;
  const nowS = () => Math.floor(Date.now() / 1000);
  /** A token issued at `iat` (seconds from now; null: no iat) that expires `lifetime` seconds after it (null: no exp). */
  const timed = (iat: number | null, lifetime: number | null) => {
    let jwt = new SignJWT({ roles: ["auditor"] }).setSubject("alice").setIssuer("https://auth.commsync.test").setAudience("commsync").setProtectedHeader({ alg: "HS256" });
    if (iat !== null) jwt = jwt.setIssuedAt(nowS() + iat);
    if (lifetime !== null) jwt = jwt.setExpirationTime(nowS() + (iat ?? 0) + lifetime);
    return jwt.sign(key);
  };

  test("a token without exp is refused", async () => {
    await expect401(await me(await timed(0, null)), /no expiry \(exp\)/);
  });

  test("a token issued a year ahead is refused; 30 s ahead (clock skew) is accepted", async () => {
    await expect401(await me(await timed(365 * 24 * HOUR, 5 * 60)), /issue time \(iat\) is in the future/);
    expect((await me(await timed(30, 5 * 60))).status).toBe(200);
  });

  test("a token valid for 24 hours is accepted; 25 hours or 100 years is refused", async () => {
    expect((await me(await timed(0, 24 * HOUR))).status).toBe(200);
    await expect401(await me(await timed(0, 25 * HOUR)), /valid for longer than the 24 hours/);
    await expect401(await me(await timed(0, 100 * 365 * 24 * HOUR)), /valid for longer than the 24 hours/);
  });

  test("without iat, the lifetime counts from now", async () => {
    expect((await me(await timed(null, 23 * HOUR))).status).toBe(200);
    await expect401(await me(await timed(null, 25 * HOUR)), /valid for longer/);
  });
});

describe("bun run token", () => {
  const ROOT = resolve(import.meta.dir, "../..");
  const run = async (...args: string[]) => {
    const child = Bun.spawn([process.execPath, "run", "token", "--", ...args], {
      cwd: ROOT,
      env: { ...process.env, AUTH_JWT_SECRET: TEST_JWT_SECRET, AUTH_JWKS_URL: "", AUTH_ISSUER: "https://auth.commsync.test", AUTH_AUDIENCE: "commsync", AUTH_MAX_TOKEN_AGE: "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { stdout: stdout.trim(), stderr, code };
  };

  test("its token is accepted", async () => {
    const minted = await run("--sub", "bob", "--role", "auditor");
    expect(minted.code).toBe(0);
    const response = await me(minted.stdout);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: "bob", roles: ["auditor"] });
  });

  test("it refuses a lifetime the service would refuse", async () => {
    const minted = await run("--sub", "bob", "--expires", "25h");
    expect({ code: minted.code, stdout: minted.stdout }).toEqual({ code: 1, stdout: "" });
    expect(minted.stderr).toContain("24 hours at most (AUTH_MAX_TOKEN_AGE)");
  });
});

describe("development mode (no secret configured)", () => {
  let dev: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "commsync-auth-"));
    dev = await createHarness({ AUTH_JWT_SECRET: "", AUTH_DEV_SECRET_FILE: join(dir, "dev-auth-secret") });
  });
  afterAll(async () => {
    await dev.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the printed 30-day token is accepted; a 31-day one is not", async () => {
    const auth = dev.deps.auth;
    if (auth.mode !== "secret") throw new Error("development mode signs with a secret");
    const printed = await developmentToken(auth);
    expect(printed.lifetimeSeconds).toBe(30 * 24 * 3600);
    const response = await dev.app.request("/api/me", { headers: { authorization: `Bearer ${printed.token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ userId: "dev-user" });

    const key = new TextEncoder().encode(auth.secret);
    const longer = await new SignJWT({}).setSubject("dev-user").setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime("31d").sign(key);
    const refused = await dev.app.request("/api/me", { headers: { authorization: `Bearer ${longer}` } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "UNAUTHENTICATED", error: expect.stringMatching(/longer than the 30 days/) });
  });
});
