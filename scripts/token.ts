/**
 * Mints a development token from the configured secret.
 *
 *   bun run token -- --sub alice [--role auditor] [--expires 12h]
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import { resolveAuth } from "../src/deps";
import { signToken } from "../src/http/auth";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    sub: { type: "string" },
    role: { type: "string", multiple: true },
    expires: { type: "string", default: "12h" },
  },
});
if (!values.sub) {
  console.error("usage: bun run token -- --sub <user id> [--role auditor] [--expires 12h]");
  process.exit(2);
}
const config = loadConfig(process.env);
const auth = resolveAuth(config);
if (auth.mode !== "secret") {
  console.error("AUTH_JWKS_URL is configured: tokens come from that identity provider, not from this command.");
  process.exit(1);
}
console.log(
  await signToken(auth.secret, {
    sub: values.sub,
    roles: values.role ?? [],
    issuer: auth.issuer,
    audience: auth.audience,
    expiresIn: values.expires,
  }),
);
