/**
 * Mints a development token from the configured secret.
 *
 *   bun run token -- --sub alice [--role auditor] [--expires 12h]
 *
 * `--expires` (45s, 90m, 12h, 30d) defaults to 12 hours, or AUTH_MAX_TOKEN_AGE when shorter; a longer
 * lifetime than AUTH_MAX_TOKEN_AGE is refused, since the service would refuse the token.
 */
import { parseArgs } from "node:util";
import { answerHelp } from "../src/platform/help";
import { loadConfig } from "../src/config";
import { resolveAuth } from "../src/deps";
import { signToken } from "../src/http/auth";
import { formatDuration, parseDuration } from "../src/lib/duration";

const USAGE = "usage: bun run token -- --sub <user id> [--role auditor] [--expires 12h]";
answerHelp(`${USAGE}

Signs a bearer token with AUTH_JWT_SECRET, or the development secret
(AUTH_DEV_SECRET_FILE) when none is configured. --expires defaults to 12h and may not
pass AUTH_MAX_TOKEN_AGE.`);
const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    sub: { type: "string" },
    role: { type: "string", multiple: true },
    expires: { type: "string" },
  },
});
if (!values.sub) {
  console.error(USAGE);
  process.exit(2);
}
const config = loadConfig(process.env);
const auth = resolveAuth(config);
if (auth.mode === "session") {
  console.error("Only NEXTAUTH_SECRET / AUTH_SECRET is configured: the service accepts the web app's session cookie, not bearer tokens.");
  process.exit(1);
}
if (auth.mode !== "secret") {
  console.error("AUTH_JWKS_URL is configured: tokens come from that identity provider, not from this command.");
  process.exit(1);
}
const lifetime = values.expires === undefined ? Math.min(12 * 3600, auth.maxTokenAgeSeconds) : parseDuration(values.expires);
if (lifetime === null || lifetime <= 0) {
  console.error(`--expires ${values.expires}: give a duration such as 45s, 90m, 12h or 30d.\n${USAGE}`);
  process.exit(2);
}
if (lifetime > auth.maxTokenAgeSeconds) {
  console.error(`--expires ${values.expires}: the service accepts tokens valid for ${formatDuration(auth.maxTokenAgeSeconds)} at most (AUTH_MAX_TOKEN_AGE).`);
  process.exit(1);
}
console.log(
  await signToken(auth.secret, {
    sub: values.sub,
    roles: values.role ?? [],
    issuer: auth.issuer,
    audience: auth.audience,
    expiresIn: lifetime,
  }),
);
