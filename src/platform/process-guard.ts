/**
 * @module platform/process-guard
 * Errors that reached no caller. An unhandled rejection belongs to work that
 * has already ended (nobody awaited it): logged with its stack, the service
 * serves on. An uncaught exception was thrown from a callback (a timer, a
 * socket event) and left that component's state unknown: logged with its
 * stack, then the service drains its requests and exits 1 for its supervisor
 * to restart it. The exception to that is a database connection error
 * (CONNECTION_CLOSED, ECONNRESET, ...): the driver drops that connection and
 * the pool opens another, so the service serves on.
 */
import type { Logger } from "pino";
import { describeDatabaseError, isDatabaseUnavailable } from "../db/errors";

/** What the guard needs of `process`: its two error events. */
export interface ErrorEvents {
  on(event: "unhandledRejection", listener: (reason: unknown) => void): unknown;
  on(event: "uncaughtException", listener: (error: Error) => void): unknown;
}

export function guardProcess(target: ErrorEvents, logger: Logger, exit: (reason: string) => void) {
  target.on("unhandledRejection", (reason) => {
    if (isDatabaseUnavailable(reason)) logger.warn({ database: describeDatabaseError(reason) }, "unhandled rejection: the database is unavailable; serving on");
    else logger.error({ err: reason }, "unhandled rejection; serving on");
  });
  target.on("uncaughtException", (error) => {
    if (isDatabaseUnavailable(error)) {
      logger.error({ err: error }, "uncaught database connection error; serving on");
      return;
    }
    logger.fatal({ err: error }, "uncaught exception; stopping");
    exit("uncaught exception");
  });
}
