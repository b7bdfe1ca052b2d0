/**
 * @module http/token-times
 * What a token's times must say beyond a valid signature: an expiry (`exp`),
 * an issue time (`iat`) not ahead of this server's clock by more than the
 * clock skew, and a lifetime (`exp − iat`, or `exp − now` without `iat`)
 * within the configured bound (`AUTH_MAX_TOKEN_AGE`). Pure.
 */
import { formatDuration } from "../lib/duration";

/** How far the issuer's clock may run ahead of ours, in seconds. */
export const CLOCK_SKEW_SECONDS = 60;

export interface TokenTimes {
  exp?: unknown;
  iat?: unknown;
}

/** Why a token's times are refused (a sentence for the 401), or null when they are accepted. `now` in seconds. */
export function tokenTimesProblem(claims: TokenTimes, rules: { now: number; maxAgeSeconds: number; skewSeconds?: number }): string | null {
  const skew = rules.skewSeconds ?? CLOCK_SKEW_SECONDS;
  if (typeof claims.exp !== "number") return "The token has no expiry (exp): tokens must expire.";
  const iat = typeof claims.iat === "number" ? claims.iat : null;
  if (iat !== null && iat > rules.now + skew) {
    return `The token's issue time (iat) is in the future: at most ${formatDuration(skew)} of clock difference is accepted.`;
  }
  if (claims.exp - (iat ?? rules.now) > rules.maxAgeSeconds + skew) {
    return `The token is valid for longer than the ${formatDuration(rules.maxAgeSeconds)} this service accepts (exp − iat).`;
  }
  return null;
}
