/**
 * @module db/availability
 * A circuit breaker for requests. A request that fails on a connection error
 * (refused, reset, closed, timed out, a server shutting down or starting up)
 * marks the database down; from then on requests are answered 503
 * DATABASE_UNAVAILABLE at once, without queueing for a connection that
 * cannot be made, while a probe (`select 1`) runs every `probeIntervalMs`.
 * The first probe that succeeds marks the database up again. Without it,
 * requests wait in the pool's queue, each connection slot failing one of them
 * per attempt, so the answer comes later the more requests there are.
 */
import type { Logger } from "pino";
import { describeDatabaseError, isConnectionFailure } from "./errors";

export interface AvailabilityOptions {
  /** Resolves when the database answers (`select 1`). */
  probe: () => Promise<unknown>;
  /** @default 250 */
  probeIntervalMs?: number;
  logger?: Logger;
}

export type DatabaseAvailability = ReturnType<typeof createDatabaseAvailability>;

export function createDatabaseAvailability(options: AvailabilityOptions) {
  const interval = options.probeIntervalMs ?? 250;
  let downSince: number | null = null;
  let probing: Promise<void> | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;

  async function probeUntilUp() {
    while (!stopped && downSince !== null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopped) break;
      try {
        await options.probe();
        options.logger?.info({ downMs: Date.now() - (downSince ?? Date.now()) }, "the database answers again: serving requests");
        downSince = null;
      } catch {
        // Still down: the next probe comes after the interval.
      }
    }
    probing = null;
  }

  return {
    /** True while requests are answered 503 without trying the database. */
    isDown(): boolean {
      return downSince !== null;
    },

    /** Marks the database down when `error` is a connection failure (other errors change nothing). */
    report(error: unknown) {
      if (stopped || !isConnectionFailure(error)) return;
      if (downSince === null) {
        downSince = Date.now();
        options.logger?.warn({ database: describeDatabaseError(error) }, "the database cannot be reached: answering 503 until it answers");
      }
      probing ??= probeUntilUp();
    },

    /** Ends probing (shutdown). */
    async stop() {
      stopped = true;
      wake?.();
      await probing;
    },
  };
}
