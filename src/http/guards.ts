/**
 * @module http/guards
 * The bounds a route carries as its own middleware, built once per app
 * (the in-flight bounds are counters shared by every route they guard):
 * load shedding before the body is read, then the body limit.
 */
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import type { Config } from "../config";
import { admission } from "./admission";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

export interface HttpGuards {
  /** API requests (every /api route but the webhook and the event stream). */
  api: MiddlewareHandler<AppEnv>;
  /** Unipile's webhook deliveries. */
  webhooks: MiddlewareHandler<AppEnv>;
  /** The default body limit. */
  body: MiddlewareHandler<AppEnv>;
  /** Sends carry attachments: their limit is their own. */
  messageBody: MiddlewareHandler<AppEnv>;
}

const limit = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `The request body is larger than ${maxSize} bytes.`);
    },
  });

export function createHttpGuards(http: Config["http"]): HttpGuards {
  return {
    api: admission({ what: "API requests", max: http.apiMaxInFlight, retryAfterSeconds: 1 }),
    webhooks: admission({ what: "webhook deliveries", max: http.webhookMaxInFlight, retryAfterSeconds: 1 }),
    body: limit(http.bodyLimitBytes),
    messageBody: limit(http.messageBodyLimitBytes),
  };
}
