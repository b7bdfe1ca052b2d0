import { afterAll, beforeAll, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createAuthenticator } from "../../src/http/auth";

// A JWKS endpoint on loopback, as an identity provider would serve it.
let server: ReturnType<typeof Bun.serve>;
let privateKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair("ES256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "key-1", alg: "ES256", use: "sig" };
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ keys: [jwk] }) });
});
afterAll(() => server.stop(true));

const sign = (key: CryptoKey, alg = "ES256") =>
  new SignJWT({ roles: "auditor support" }).setProtectedHeader({ alg, kid: "key-1" }).setSubject("alice").setAudience("commsync").setExpirationTime("5m").sign(key);

test("tokens are checked against the keys of a JWKS URL", async () => {
  const auth = createAuthenticator({ mode: "jwks", jwksUrl: `http://127.0.0.1:${server.port}/jwks.json`, algorithms: ["ES256"], audience: "commsync", maxTokenAgeSeconds: 86_400 });
  expect(await auth.authenticate(await sign(privateKey))).toEqual({ userId: "alice", roles: ["auditor", "support"] });
  await expect(auth.authenticate(await sign(otherKey))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
});

test("an HS256 token is refused where only asymmetric keys are accepted", async () => {
  const auth = createAuthenticator({ mode: "jwks", jwksUrl: `http://127.0.0.1:${server.port}/jwks.json`, algorithms: ["ES256"], maxTokenAgeSeconds: 86_400 });
  const forged = await new SignJWT({}).setProtectedHeader({ alg: "HS256", kid: "key-1" }).setSubject("mallory").setExpirationTime("5m").sign(new TextEncoder().encode("x".repeat(32)));
  await expect(auth.authenticate(forged)).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringMatching(/algorithm/) });
});
