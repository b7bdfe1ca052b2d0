# syntax=docker/dockerfile:1
# Production image: DATABASE_URL, UNIPILE_DSN, UNIPILE_ACCESS_TOKEN,
# UNIPILE_WEBHOOK_SECRET and AUTH_JWT_SECRET (or AUTH_JWKS_URL) are required
# (see .env.example). The embedded Postgres and the sandbox are development-only.

FROM oven/bun:1.4.5 AS deps
WORKDIR /app
COPY package.json bun.lock ./
# The patched postgres.js (patchedDependencies) is applied by the install.
COPY scripts/patches ./scripts/patches
RUN bun install --frozen-lockfile --production

FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
COPY --from=deps --chown=bun:bun /app/node_modules ./node_modules
COPY --chown=bun:bun package.json tsconfig.json ./
COPY --chown=bun:bun drizzle ./drizzle
COPY --chown=bun:bun src ./src
USER bun
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM reaches bun directly (exec form): it stops accepting, finishes
# in-flight requests, stops the projection runner and closes the pool.
STOPSIGNAL SIGTERM
CMD ["bun", "src/main.ts"]
