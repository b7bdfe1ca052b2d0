/**
 * @module http/errors
 * One error body for every failure: `{error, code, requestId}` (+ `details`
 * for validation), one code → status table, one `onError`. Expected outcomes
 * become an `ApiError`; a database that cannot be reached becomes 503
 * DATABASE_UNAVAILABLE with Retry-After; anything else is a bug, logged and
 * answered 500.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { describeDatabaseError, isDatabaseUnavailable } from "../db/errors";
import { StreamContentionError } from "../event-store/command-handler";
import type { AppEnv } from "./app-env";

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  MALFORMED_MULTIPART: 400,
  JSON_TOO_DEEP: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CROSS_SITE_REQUEST: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  ACCOUNT_NOT_FOUND: 404,
  CONVERSATION_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  SUBSCRIPTION_NOT_FOUND: 404,
  ATTACHMENT_NOT_FOUND: 404,
  ACCOUNT_ALREADY_CONNECTED: 409,
  ACCOUNT_DISCONNECTED: 409,
  ACCOUNT_NOT_CONNECTED: 409,
  SEND_IN_PROGRESS: 409,
  STREAM_VERSION_CONFLICT: 409,
  CONFLICT: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  TOO_MANY_REQUESTS: 429,
  RATE_LIMITED: 429,
  SEND_PACED: 429,
  HEADERS_TOO_LARGE: 431,
  UPSTREAM_FAILED: 502,
  NOT_READY: 503,
  SERVICE_UNAVAILABLE: 503,
  OVERLOADED: 503,
  DATABASE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
  INTERNAL_ERROR: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ErrorBodySchema = z
  .object({
    error: z.string().describe("A sentence saying what went wrong"),
    code: z.string().describe("Stable SCREAMING_SNAKE code"),
    requestId: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ id: "Error" });

export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = { error: error.message, code: error.code, requestId: c.get("requestId") ?? "unknown" };
  if (error.details !== undefined) body.details = error.details;
  return c.json(body, error.status, error.headers);
}

/** Seconds a client is asked to wait when the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export function databaseUnavailable(): ApiError {
  return new ApiError(
    "DATABASE_UNAVAILABLE",
    `The database is unavailable right now; try again in ${DATABASE_RETRY_AFTER_SECONDS} s.`,
    undefined,
    { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) },
  );
}

/** Seconds a client is asked to wait after its command met a stream that kept changing. */
export const CONTENTION_RETRY_AFTER_SECONDS = 1;

/**
 * A command whose stream changed under it on every try (command-handler.ts):
 * 409, since the request conflicted with concurrent ones on the same thing,
 * with Retry-After, since the same request may well succeed next time.
 */
export function streamContention(): ApiError {
  return new ApiError(
    "STREAM_VERSION_CONFLICT",
    `Concurrent requests kept changing the same resource; try again in ${CONTENTION_RETRY_AFTER_SECONDS} s.`,
    undefined,
    { "Retry-After": String(CONTENTION_RETRY_AFTER_SECONDS) },
  );
}

/** `app.onError`: the one place a thrown error becomes a response. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ApiError) return errorResponse(c, error);
  if (error instanceof StreamContentionError) {
    c.get("logger")?.warn({ streamId: error.streamId, attempts: error.attempts }, "command gave up after version conflicts");
    return errorResponse(c, streamContention());
  }
  if (error instanceof HTTPException) return errorResponse(c, fromHttpException(error));
  if (isDatabaseUnavailable(error)) {
    // Expected while Postgres restarts or is unreachable: one line, no stack.
    c.get("logger")?.warn({ database: describeDatabaseError(error) }, "database unavailable");
    return errorResponse(c, databaseUnavailable());
  }
  const refused = inputRefusedByDatabase(error);
  if (refused) {
    c.get("logger")?.warn({ sqlState: refused.sqlState, reason: error.message }, "request input refused by the database");
    return errorResponse(c, refused.apiError);
  }
  c.get("logger")?.error({ err: error }, "unhandled error");
  return errorResponse(c, new ApiError("INTERNAL_ERROR", "An unexpected error occurred; it has been logged."));
}

function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 400 && /json/i.test(error.message)) {
    return new ApiError("MALFORMED_JSON", "The request body is not valid JSON.");
  }
  if (error.status === 415) return new ApiError("UNSUPPORTED_MEDIA_TYPE", "The request body must be JSON (Content-Type: application/json).");
  if (error.status === 413) return new ApiError("PAYLOAD_TOO_LARGE", "The request body is too large.");
  if (error.status === 401) return new ApiError("UNAUTHENTICATED", error.message || "Authentication required.");
  const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((k) => ERROR_STATUS[k] === error.status);
  return new ApiError(code ?? "VALIDATION_FAILED", error.message || "The request was rejected.");
}

/**
 * The safety net behind input validation: a Postgres error saying that a value
 * the request brought cannot be stored or compared (SQLSTATE class 22, data
 * exception: text with NUL or invalid Unicode, a time or number out of range,
 * a value of the wrong form; 54000/54001, values past Postgres's own limits)
 * is the caller's mistake: 400 VALIDATION_FAILED, not a 500. Routes validate
 * at the edge; this catches what slips through.
 */
export function inputRefusedByDatabase(error: Error): { apiError: ApiError; sqlState: string } | null {
  const code = error.name === "PostgresError" ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== "string" || !(code.startsWith("22") || code === "54000" || code === "54001")) return null;
  const kind = DATA_ERRORS[code] ?? "a value the database cannot take";
  return { sqlState: code, apiError: new ApiError("VALIDATION_FAILED", `The request holds ${kind}.`, [{ path: "(request)", message: kind }]) };
}

const DATA_ERRORS: Record<string, string> = {
  "22021": "text with a NUL character or invalid UTF-8",
  "22P05": "text with a NUL character or invalid Unicode",
  "22P02": "a value of the wrong form",
  "22007": "a date or time of the wrong form",
  "22008": "a date or time out of range",
  "22003": "a number out of range",
  "22001": "a value too long",
  "54000": "a value past the database's limits",
  "54001": "a value nested too deeply",
};

/** Turns zod issues into `details` entries: where, and what is wrong. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]) {
  return issues.map((issue) => ({ path: issue.path.map(String).join(".") || "(root)", message: issue.message }));
}
