/**
 * @module unipile/gateway-retry
 * How the gateway makes one call: a place in the request budget (commands
 * before background work), the call timed and counted, and retries with
 * exponential backoff and jitter, or the server's `Retry-After` (see
 * gateway.ts for the rules). A 2xx body is checked against its schema.
 */
import type { z } from "zod";
import { err, ok, type Result } from "../lib/result";
import { metrics, startTimer } from "../platform/metrics";
import { isRetryable, toFailure, type UnipileFailure } from "./gateway-failures";
import type { RequestBudget } from "./request-budget";

export type UnipileResult<T> = Promise<Result<T, UnipileFailure>>;

export interface GatewayLogger {
  warn(object: object, message?: string): void;
  debug(object: object, message?: string): void;
}

export interface RetryOptions {
  /** Total attempts including the first. @default 3 */
  attempts: number;
  /** First backoff delay; doubles per retry. @default 250 */
  baseDelayMs: number;
  /** Backoff ceiling. @default 5000 */
  maxDelayMs: number;
  /** Longest Retry-After waited for; longer ones end the call with the 429/503. @default 30000 */
  maxRetryAfterMs?: number;
}

export interface CallerOptions {
  retry?: RetryOptions;
  logger?: GatewayLogger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  budget?: RequestBudget;
}

/** Operations a user waits for: they go before the sync and lookups in the request budget. */
const COMMANDS = new Set(["connectWhatsapp", "connectWhatsappWithPairingCode", "reconnectWhatsapp", "deleteAccount", "sendMessage", "startNewChat", "markChatRead", "getAttachment", "createWebhook", "deleteWebhook"]);

const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 3, baseDelayMs: 250, maxDelayMs: 5000, maxRetryAfterMs: 30_000 };

/** `run` makes a call with retries; `read` makes an idempotent one and parses its 2xx body with `schema`. */
export function createCaller(options: CallerOptions) {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  /** Runs `call` with retries. */
  async function run<T>(operation: string, idempotent: boolean, call: () => Promise<T>): UnipileResult<T> {
    for (let attempt = 1; ; attempt += 1) {
      let failure: UnipileFailure;
      await options.budget?.acquire(COMMANDS.has(operation) ? "command" : "background");
      const elapsed = startTimer();
      try {
        const value = await call();
        recordCall(operation, "ok", elapsed());
        return ok(value);
      } catch (error) {
        failure = await toFailure(error);
        recordCall(operation, failure.kind === "http" ? `http_${failure.status}` : failure.kind, elapsed());
      }
      const retryAfter = failure.kind === "http" ? failure.retryAfterMs : undefined;
      const canRetry =
        attempt < retry.attempts && isRetryable(failure, idempotent) && (retryAfter === undefined || retryAfter <= retry.maxRetryAfterMs);
      if (!canRetry) {
        options.logger?.debug({ operation, attempt, failure }, "unipile call failed");
        return err(failure);
      }
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const delay = retryAfter ?? Math.round(backoff * (0.5 + random() / 2));
      options.logger?.warn({ operation, attempt, failure, delayMs: delay }, "unipile call failed, retrying");
      await sleep(delay);
    }
  }

  const parsed = <S extends z.ZodType>(schema: S) => (body: unknown): z.infer<S> => {
    const result = schema.safeParse(body);
    if (!result.success) throw new ShapeError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
    return result.data;
  };
  async function read<S extends z.ZodType>(operation: string, schema: S, call: () => Promise<unknown>): UnipileResult<z.infer<S>> {
    const result = await run(operation, true, call);
    return result.ok ? shaped(() => parsed(schema)(result.value)) : result;
  }

  return { run, read };
}

/** The gateway's way of calling: `run` and `read`. */
export type Caller = ReturnType<typeof createCaller>;

class ShapeError extends Error {
  constructor(readonly issues: string[]) {
    super("response does not match the expected shape");
  }
}

const shaped = <T>(parse: () => T): Result<T, UnipileFailure> => {
  try {
    return ok(parse());
  } catch (error) {
    if (error instanceof ShapeError) return err({ kind: "invalid_response", message: error.message, issues: error.issues.slice(0, 5) });
    throw error;
  }
};

function recordCall(operation: string, outcome: string, seconds: number) {
  metrics.unipileRequests.inc({ operation, outcome });
  metrics.unipileDuration.observe({ operation, outcome }, seconds);
}
