/**
 * @module http/server
 * Serves the app on Bun. Bun's HTTP parser refuses a request whose request
 * line and headers pass its own limit (16 KiB unless told otherwise) with an
 * empty 431 and a closed connection, before the app sees it: outside the
 * error shape. So the parser's limit is raised to `NATIVE_HEADER_FACTOR` times
 * `HTTP_MAX_HEADER_BYTES`, and the app answers everything between the two
 * with 431 HEADERS_TOO_LARGE in the error shape (http/header-limit). The
 * parser's limit is one per process (`node:http`'s `maxHeaderSize`, the same
 * as `bun --max-http-header-size`); it is only ever raised here.
 */
import http from "node:http";
import type { Logger } from "pino";

/** Bun's parser limit, as a multiple of the app's: 64 KiB for the default 16 KiB. */
export const NATIVE_HEADER_FACTOR = 4;

export interface HttpServerOptions {
  hostname: string;
  port: number;
  /** `HTTP_MAX_HEADER_BYTES`: the app's own limit. */
  maxHeaderBytes: number;
  idleTimeout?: number;
  logger?: Logger;
}

/** Raises Bun's parser limit to `NATIVE_HEADER_FACTOR × maxHeaderBytes`; answers the limit in force. */
export function raiseNativeHeaderLimit(maxHeaderBytes: number, logger?: Logger): number {
  const wanted = maxHeaderBytes * NATIVE_HEADER_FACTOR;
  const settable = http as { maxHeaderSize: number };
  if (settable.maxHeaderSize < wanted) settable.maxHeaderSize = wanted;
  if (settable.maxHeaderSize < wanted) {
    logger?.warn({ wanted, inForce: settable.maxHeaderSize }, "could not raise Bun's header limit; start bun with --max-http-header-size");
  }
  return settable.maxHeaderSize;
}

export function startHttpServer(app: { fetch: (request: Request) => Response | Promise<Response> }, options: HttpServerOptions) {
  raiseNativeHeaderLimit(options.maxHeaderBytes, options.logger);
  return Bun.serve({ hostname: options.hostname, port: options.port, fetch: app.fetch, ...(options.idleTimeout ? { idleTimeout: options.idleTimeout } : {}) });
}
