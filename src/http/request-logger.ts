/**
 * @module http/request-logger
 * A child logger per request carrying its id, and one summary line per
 * request (method, route, status, duration, user): info, a warning for 503,
 * an error for other 5xx. Headers are not logged, so
 * bearer tokens and webhook secrets never reach the output.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import type { AppEnv } from "./app-env";

export function requestLogger(root: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const logger = root.child({ requestId: c.get("requestId") });
    c.set("logger", logger);
    await next();
    const status = c.res.status;
    const line = {
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      userId: c.get("principal")?.userId,
    };
    // 503 is the service declining (load shedding, the database down), not a fault: a warning.
    if (status === 503) logger.warn(line, "request");
    else if (status >= 500) logger.error(line, "request");
    else logger.info(line, "request");
  };
}
