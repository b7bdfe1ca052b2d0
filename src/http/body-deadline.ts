/**
 * @module http/body-deadline
 * A deadline on receiving the request body, counted from the request's
 * arrival. A body still trickling in when it passes is cut off: the read
 * fails, the request is answered 408 REQUEST_TIMEOUT in the one error shape
 * (whatever the route made of the failed read), and its admission slot is
 * freed. Without it, a client sending one byte a minute holds a slot for as
 * long as the connection lives.
 */
import type { MiddlewareHandler } from "hono";
import { metrics } from "../platform/metrics";
import type { AppEnv } from "./app-env";
import { ApiError, errorResponse } from "./errors";

const timeoutError = (timeoutMs: number) =>
  new ApiError("REQUEST_TIMEOUT", `The request body was not received within ${timeoutMs} ms.`, undefined, { Connection: "close" });

/** The body of `raw`, failing with BodyTimeoutError once `timeoutMs` has passed. */
function deadlined(raw: ReadableStream<Uint8Array>, timeoutMs: number, onTimeout: () => void) {
  const reader = raw.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setTimeout(() => {
        if (finished) return;
        finished = true;
        onTimeout();
        // An ApiError, so that a route whose read fails with it answers 408 by itself.
        controller.error(timeoutError(timeoutMs));
        reader.cancel().catch(() => undefined);
      }, timeoutMs);
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (finished) return;
        if (done) {
          finished = true;
          clearTimeout(timer);
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        controller.error(error);
      }
    },
    cancel(reason) {
      finished = true;
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
  return { stream, stop: () => clearTimeout(timer) };
}

export function bodyDeadline(timeoutMs: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    let timedOut = false;
    const { stream, stop } = deadlined(body, timeoutMs, () => {
      timedOut = true;
    });
    c.req.raw = new Request(c.req.raw, { body: stream, duplex: "half" } as RequestInit);
    try {
      await next();
    } finally {
      stop();
    }
    if (timedOut) {
      metrics.httpShed.inc({ pool: "body", reason: "body_timeout" });
      c.res = undefined;
      c.res = errorResponse(c, timeoutError(timeoutMs));
    }
  };
}
