/**
 * @module http/cross-site
 * CSRF defence for cookie-authenticated requests. A browser attaches the
 * session cookie to a request another site makes it send, so a
 * state-changing request (any method but GET, HEAD, OPTIONS) authenticated
 * by the cookie must come from this origin or a trusted one. Browsers say
 * where a request comes from: `Sec-Fetch-Site` (all current browsers) and
 * `Origin` (on every cross-origin request and every POST). The rule:
 * - `Sec-Fetch-Site: same-origin` or `none` (typed by the user): allowed;
 * - otherwise an `Origin` equal to the request's own origin, to PUBLIC_URL's
 *   or to one in CORS_ORIGINS or AUTH_TRUSTED_ORIGINS: allowed;
 * - otherwise, when the request carries `Sec-Fetch-Site` or `Origin` (a
 *   browser sent it from elsewhere): refused, 403 CROSS_SITE_REQUEST;
 * - neither header: not a browser (a server-side call from the web app, curl),
 *   which no other site can make carry the user's cookie: allowed.
 * Bearer-authenticated requests need no check: no browser adds that header
 * on its own.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface CrossSiteRequest {
  method: string;
  url: string;
  header(name: string): string | undefined;
}

/** Why a cookie-authenticated request is refused as cross-site; null when it may go on. */
export function crossSiteProblem(request: CrossSiteRequest, trustedOrigins: readonly string[]): string | null {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
  const fetchSite = request.header("sec-fetch-site")?.toLowerCase();
  if (fetchSite === "same-origin" || fetchSite === "none") return null;
  const origin = request.header("origin");
  if (origin !== undefined && origin !== "null") {
    if (origin === new URL(request.url).origin || trustedOrigins.includes(origin)) return null;
  }
  if (fetchSite === undefined && origin === undefined) return null;
  return `A ${request.method.toUpperCase()} authenticated by the session cookie must come from this site (Origin ${origin ?? "absent"}); add the origin to CORS_ORIGINS (or AUTH_TRUSTED_ORIGINS), or send a bearer token.`;
}
