/**
 * @module http/session-cookie
 * The CommSync web app's session cookie as a credential, beside bearer JWTs.
 * NextAuth 4 and Auth.js 5 both keep the session in an encrypted JWT (JWE,
 * `alg: dir`) in a cookie, split into `.0`, `.1`, … chunks when it is long.
 * The key is derived from `NEXTAUTH_SECRET` / `AUTH_SECRET` with HKDF-SHA256,
 * each version its own way (as in `next-auth/jwt` and `@auth/core/jwt`):
 * - NextAuth 4: salt "", info "NextAuth.js Generated Encryption Key",
 *   32 bytes, `enc: A256GCM`;
 * - Auth.js 5: salt = the cookie's name, info
 *   "Auth.js Generated Encryption Key (<salt>)", 64 bytes for
 *   `A256CBC-HS512` (32 for `A256GCM`).
 * The user is `sub`; `exp` is required and enforced (15 s tolerance, as the
 * libraries use).
 */
import { hkdfSync } from "node:crypto";
import { type JWTPayload, jwtDecrypt } from "jose";
import { parse as parseCookies } from "hono/utils/cookie";
import type { Principal } from "./app-env";

type Version = "next-auth-4" | "authjs-5";

/** The cookie names, most specific first: the `__Secure-` ones are set on HTTPS. */
export const SESSION_COOKIES: readonly { name: string; version: Version }[] = [
  { name: "__Secure-authjs.session-token", version: "authjs-5" },
  { name: "authjs.session-token", version: "authjs-5" },
  { name: "__Secure-next-auth.session-token", version: "next-auth-4" },
  { name: "next-auth.session-token", version: "next-auth-4" },
];

export interface SessionCookieAuth {
  /**
   * The caller a request's session cookie names: null when the request has no
   * session cookie, `{problem}` when it has one that is not accepted.
   */
  authenticate(cookieHeader: string | undefined): Promise<Principal | { problem: string } | null>;
}

/** The whole value of a cookie, joined from its chunks (`name.0`, `name.1`, …) when it was split. */
export function readChunkedCookie(cookies: Record<string, string>, name: string): string | null {
  const whole = cookies[name];
  if (whole !== undefined && whole !== "") return whole;
  const chunks: string[] = [];
  for (let i = 0; cookies[`${name}.${i}`] !== undefined; i++) chunks.push(cookies[`${name}.${i}`] as string);
  return chunks.length > 0 ? chunks.join("") : null;
}

const NEXT_AUTH_4_INFO = "NextAuth.js Generated Encryption Key";
const authJsInfo = (salt: string) => `Auth.js Generated Encryption Key (${salt})`;
const KEY_LENGTH: Record<string, number> = { "A256CBC-HS512": 64, A256GCM: 32 };

export function createSessionCookieAuth(secrets: readonly string[]): SessionCookieAuth {
  const keys = new Map<string, Uint8Array>();
  const derive = (secret: string, salt: string, info: string, length: number) => {
    const id = `${secret}\u0000${salt}\u0000${info}\u0000${length}`;
    let key = keys.get(id);
    if (!key) {
      key = new Uint8Array(hkdfSync("sha256", secret, salt, info, length));
      keys.set(id, key);
    }
    return key;
  };

  async function decrypt(token: string, version: Version, cookieName: string, secret: string): Promise<JWTPayload> {
    const options = { keyManagementAlgorithms: ["dir"], clockTolerance: 15, requiredClaims: ["exp"] };
    if (version === "next-auth-4") {
      const key = derive(secret, "", NEXT_AUTH_4_INFO, 32);
      return (await jwtDecrypt(token, key, { ...options, contentEncryptionAlgorithms: ["A256GCM"] })).payload;
    }
    const { payload } = await jwtDecrypt(
      token,
      (header) => derive(secret, cookieName, authJsInfo(cookieName), KEY_LENGTH[header.enc] ?? 64),
      { ...options, contentEncryptionAlgorithms: ["A256CBC-HS512", "A256GCM"] },
    );
    return payload;
  }

  async function open(token: string, version: Version, cookieName: string): Promise<Principal | { problem: string }> {
    let expired = false;
    for (const secret of secrets) {
      try {
        const payload = await decrypt(token, version, cookieName, secret);
        if (typeof payload.sub !== "string" || payload.sub === "") return { problem: "The session has no user (sub)." };
        return { userId: payload.sub, roles: readRoles(payload.roles) };
      } catch (error) {
        if ((error as { code?: string }).code === "ERR_JWT_EXPIRED") expired = true;
      }
    }
    return { problem: expired ? "The session has expired; sign in again." : "The session cookie is invalid." };
  }

  return {
    async authenticate(cookieHeader) {
      if (!cookieHeader || secrets.length === 0) return null;
      const cookies = parseCookies(cookieHeader);
      let first: { problem: string } | null = null;
      for (const { name, version } of SESSION_COOKIES) {
        const token = readChunkedCookie(cookies, name);
        if (token === null) continue;
        const opened = await open(token, version, name);
        if (!("problem" in opened)) return opened;
        first ??= opened;
      }
      return first;
    },
  };
}

function readRoles(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((r): r is string => typeof r === "string");
  if (typeof claim === "string") return claim.split(/\s+/).filter(Boolean);
  return [];
}
