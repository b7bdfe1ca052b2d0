/**
 * Real session cookies, made by the web app's own libraries: NextAuth 4
 * (`next-auth/jwt`) and Auth.js 5 (`@auth/core/jwt`).
 */
type Encode = (params: { token: Record<string, unknown>; secret: string; maxAge: number; salt?: string }) => Promise<string>;
/**
 * The libraries' `encode`, loaded without their types: those pull in DOM declarations
 * (Next.js's, preact's JSX) that clash with Bun's under `tsc`.
 */
const load = async (specifier: string) => ((await import(specifier)) as { encode: Encode }).encode;
const encodeNextAuth4 = await load("next-auth/jwt");
const encodeAuthJs = await load("@auth/core/jwt");

export const NEXTAUTH_TEST_SECRET = "nextauth-test-secret-0123456789abcdef";
export const AUTHJS_TEST_SECRET = "authjs-test-secret-0123456789abcdef";

export type CookieKind = "next-auth-4" | "authjs-5";
export const COOKIE_NAMES = {
  "next-auth-4": ["next-auth.session-token", "__Secure-next-auth.session-token"],
  "authjs-5": ["authjs.session-token", "__Secure-authjs.session-token"],
} as const;

export interface SessionOptions {
  /** The cookie's name (the Auth.js salt). @default the plain (non-__Secure-) name */
  name?: string;
  /** Seconds until expiry; negative: already expired. @default 3600 */
  maxAge?: number;
  secret?: string;
  /** More claims (a long one makes the libraries chunk the cookie). */
  claims?: Record<string, unknown>;
}

/** The encrypted session JWT the web app would set for `sub`. */
export async function sessionToken(kind: CookieKind, sub: string | undefined, options: SessionOptions = {}): Promise<{ name: string; value: string }> {
  const name = options.name ?? COOKIE_NAMES[kind][0];
  const token = { name: "Test User", email: "test@example.com", ...(sub === undefined ? {} : { sub }), ...options.claims };
  const maxAge = options.maxAge ?? 3600;
  const value =
    kind === "next-auth-4"
      ? await encodeNextAuth4({ token, secret: options.secret ?? NEXTAUTH_TEST_SECRET, maxAge })
      : await encodeAuthJs({ token, secret: options.secret ?? AUTHJS_TEST_SECRET, salt: name, maxAge });
  return { name, value };
}

/** A `Cookie` header with the session (chunked into `.0`, `.1`, … of `chunkSize` characters when asked). */
export async function sessionCookie(kind: CookieKind, sub: string | undefined, options: SessionOptions & { chunkSize?: number } = {}): Promise<string> {
  const { name, value } = await sessionToken(kind, sub, options);
  const other = "theme=dark";
  if (!options.chunkSize) return `${other}; ${name}=${value}`;
  const chunks: string[] = [];
  for (let i = 0; i * options.chunkSize < value.length; i++) chunks.push(`${name}.${i}=${value.slice(i * options.chunkSize, (i + 1) * options.chunkSize)}`);
  return [other, ...chunks].join("; ");
}

export const SESSION_ENV = { NEXTAUTH_SECRET: NEXTAUTH_TEST_SECRET, AUTH_SECRET: AUTHJS_TEST_SECRET };
