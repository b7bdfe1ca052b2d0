/**
 * @module http/header-limit
 * `headerLimit(maxBytes)`: a request whose request line and headers take more
 * than `maxBytes` (`HTTP_MAX_HEADER_BYTES`) is answered 431
 * HEADERS_TOO_LARGE in the error shape, before anything reads it. Bun's own
 * parser has a limit too, which it answers with an empty 431 before the app
 * sees the request; http/server sets that one well above this one.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/**
 * The size of the request line and headers as they came on the wire, near
 * enough: `METHOD target HTTP/1.1\r\n`, and `name: value\r\n` per header.
 */
export function requestHeadBytes(request: Request): number {
  const { url } = request;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const target = pathStart === -1 ? 1 : url.length - pathStart;
  let size = request.method.length + 1 + target + " HTTP/1.1\r\n".length;
  request.headers.forEach((value, name) => {
    size += name.length + 2 + value.length + 2;
  });
  return size;
}

export function headerLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const size = requestHeadBytes(c.req.raw);
    if (size > maxBytes) {
      throw new ApiError("HEADERS_TOO_LARGE", `The request line and headers take about ${size} bytes; the limit is ${maxBytes}.`);
    }
    await next();
  };
}
