/**
 * @module http/auth
 * Bearer JWT authentication with jose: HS* with a shared secret or a JWKS
 * URL, an explicit algorithm allow-list (so `alg: none` and algorithm
 * confusion are refused), optional issuer and audience, and bounded times
 * (`exp` required, `iat` not in the future, a lifetime within
 * `maxTokenAgeSeconds`: see token-times.ts). `sub` is the user id; a `roles`
 * claim (array or space-separated string) may hold `auditor`. With
 * NEXTAUTH_SECRET / AUTH_SECRET set, the web app's session cookie is accepted
 * too (session-cookie.ts), with a CSRF check (cross-site.ts).
 */
import type { MiddlewareHandler } from "hono";
import { createRemoteJWKSet, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { type AuthConfig, DEVELOPMENT_MAX_TOKEN_AGE_SECONDS } from "../config";
import type { AppEnv, Principal } from "./app-env";
import { ApiError } from "./errors";
import { crossSiteProblem } from "./cross-site";
import type { SessionCookieAuth } from "./session-cookie";
import { tokenTimesProblem } from "./token-times";

/** The configured authentication, a development secret resolved to a secret (deps.ts). */
export type VerifiedAuthConfig = Exclude<AuthConfig, { mode: "development" }>;

export interface Authenticator {
  /** Resolves the caller, or throws `ApiError("UNAUTHENTICATED")`. */
  authenticate(token: string): Promise<Principal>;
  /** The web app's session cookie, when NEXTAUTH_SECRET / AUTH_SECRET is set. */
  session?: { cookies: SessionCookieAuth; trustedOrigins: readonly string[] };
  /** The session cookie is the only credential (auth mode `session`): bearer tokens are refused. */
  sessionOnly?: true;
}

const INVALID_TOKEN = { "WWW-Authenticate": 'Bearer error="invalid_token"' };

/** The 401 for a bearer token when only the session cookie is configured. */
export const BEARER_NOT_ACCEPTED =
  "Bearer tokens are not accepted here: this service authenticates with the web app's session cookie only (NEXTAUTH_SECRET / AUTH_SECRET). Send the session cookie, or set AUTH_JWT_SECRET or AUTH_JWKS_URL to accept bearer tokens.";

export function createAuthenticator(config: VerifiedAuthConfig, session?: Authenticator["session"]): Authenticator {
  const key =
    config.mode === "secret"
      ? new TextEncoder().encode(config.secret)
      : config.mode === "jwks"
        ? createRemoteJWKSet(new URL(config.jwksUrl))
        : null;
  const options = { algorithms: config.algorithms, issuer: config.issuer, audience: config.audience };
  return {
    ...(session ? { session } : {}),
    ...(key === null ? { sessionOnly: true } : {}),
    async authenticate(token) {
      if (key === null) throw new ApiError("UNAUTHENTICATED", BEARER_NOT_ACCEPTED, undefined, INVALID_TOKEN);
      let payload: JWTPayload;
      try {
        ({ payload } =
          key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
      } catch (error) {
        throw new ApiError("UNAUTHENTICATED", describeJoseFailure(error), undefined, INVALID_TOKEN);
      }
      const times = tokenTimesProblem(payload, { now: Math.floor(Date.now() / 1000), maxAgeSeconds: config.maxTokenAgeSeconds });
      if (times) throw new ApiError("UNAUTHENTICATED", times, undefined, INVALID_TOKEN);
      if (typeof payload.sub !== "string" || payload.sub.length === 0) {
        throw new ApiError("UNAUTHENTICATED", "The token has no subject (sub).", undefined, INVALID_TOKEN);
      }
      return { userId: payload.sub, roles: readRoles(payload.roles) };
    },
  };
}

function describeJoseFailure(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return "The token has expired.";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return `The token's ${(error as { claim?: string }).claim ?? "claims"} claim is not accepted.`;
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return "The token's signing algorithm is not accepted.";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return "The token's signature is invalid.";
    default:
      return "The token is invalid.";
  }
}

function readRoles(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((r): r is string => typeof r === "string");
  if (typeof claim === "string") return claim.split(/\s+/).filter(Boolean);
  return [];
}

/**
 * Requires `Authorization: Bearer <jwt>` (or, without that header, the web
 * app's session cookie when configured) and sets `c.var.principal`.
 */
export function requireAuth(authenticator: Authenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] && header === "" && authenticator.session) {
      const principal = await sessionPrincipal(authenticator.session, c.req);
      if (principal) {
        c.set("principal", principal);
        return next();
      }
    }
    if (!match?.[1]) {
      if (authenticator.sessionOnly) {
        throw new ApiError("UNAUTHENTICATED", "The web app's session cookie is required (this service accepts no bearer tokens).", undefined, { "WWW-Authenticate": "Bearer" });
      }
      throw new ApiError("UNAUTHENTICATED", `A bearer token is required (Authorization: Bearer <jwt>)${authenticator.session ? ", or the web app's session cookie" : ""}.`, undefined, {
        "WWW-Authenticate": "Bearer",
      });
    }
    c.set("principal", await authenticator.authenticate(match[1]));
    await next();
  };
}

/** The caller of a request's session cookie (CSRF-checked); null without one. */
async function sessionPrincipal(session: NonNullable<Authenticator["session"]>, req: { method: string; url: string; header(name: string): string | undefined }) {
  const found = await session.cookies.authenticate(req.header("cookie"));
  if (found === null) return null;
  if ("problem" in found) throw new ApiError("UNAUTHENTICATED", found.problem, undefined, { "WWW-Authenticate": "Bearer" });
  const crossSite = crossSiteProblem(req, session.trustedOrigins);
  if (crossSite) throw new ApiError("CROSS_SITE_REQUEST", crossSite);
  return found;
}

/** Requires a role on the authenticated caller (403 otherwise). */
export function requireRole(role: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.get("principal").roles.includes(role)) {
      throw new ApiError("FORBIDDEN", `This route needs the ${role} role.`);
    }
    await next();
  };
}

export interface TokenClaims {
  sub: string;
  roles?: string[];
  issuer?: string;
  audience?: string;
  /** Lifetime in seconds, or a jose duration ("1h", "30d"). @default "12h" */
  expiresIn?: string | number;
}

/** Signs an HS256 token with the shared secret (development tokens, tests). */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  let jwt = new SignJWT(claims.roles?.length ? { roles: claims.roles } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(typeof claims.expiresIn === "number" ? `${claims.expiresIn}s` : (claims.expiresIn ?? "12h"));
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

/**
 * The token `main.ts` prints in development mode: user `dev-user`, for 30 days, or for the configured
 * AUTH_MAX_TOKEN_AGE when shorter, so that it is always accepted.
 */
export async function developmentToken(auth: Extract<VerifiedAuthConfig, { mode: "secret" }>): Promise<{ token: string; lifetimeSeconds: number }> {
  const lifetimeSeconds = Math.min(DEVELOPMENT_MAX_TOKEN_AGE_SECONDS, auth.maxTokenAgeSeconds);
  const token = await signToken(auth.secret, { sub: "dev-user", issuer: auth.issuer, audience: auth.audience, expiresIn: lifetimeSeconds });
  return { token, lifetimeSeconds };
}
