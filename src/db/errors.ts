/**
 * @module db/errors
 * Which driver errors mean "the database cannot be reached or is stopping",
 * as opposed to a bad statement or a bug. Requests that meet one are answered
 * 503 DATABASE_UNAVAILABLE (they may be retried as they are); background loops
 * log them briefly and back off. Pure: it reads the error's fields only.
 */

/** postgres.js's own connection codes, and the socket errors under them. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_SOCKET_CLOSED",
]);

/** SQLSTATEs of a server that is going away or not accepting connections yet. */
const GOING_AWAY_SQLSTATES = new Set([
  "57P01", // admin_shutdown: terminating connection due to administrator command
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up, shutting down, in recovery
]);

/** A server that is up but cannot serve this statement now: the caller can only retry. */
const BUSY_SQLSTATES = new Set([
  "57014", // query_canceled: statement_timeout
  "53300", // too_many_connections
]);

/** The SQLSTATE class of connection exceptions (08000, 08001, 08003, 08006, ...). */
const CONNECTION_EXCEPTION_CLASS = "08";

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The codes of `error` and of the errors it wraps as `cause`. */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = codeOf(current);
    if (code) codes.push(code);
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined;
  }
  return codes;
}

const isConnectionCode = (code: string) =>
  CONNECTION_CODES.has(code) || GOING_AWAY_SQLSTATES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && code.startsWith(CONNECTION_EXCEPTION_CLASS));

/**
 * True when `error` (or an error it wraps as `cause`) says the database cannot
 * be reached: refused, reset or closed connections, connect timeouts, a server
 * shutting down or starting up.
 */
export function isConnectionFailure(error: unknown): boolean {
  return codesOf(error).some(isConnectionCode);
}

/**
 * True for a connection failure, and for a server that is up but out of
 * connections or timed the statement out: the request may be retried as it is.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return codesOf(error).some((code) => isConnectionCode(code) || BUSY_SQLSTATES.has(code));
}

/** A short description for logs: the code and message, without the stack. */
export function describeDatabaseError(error: unknown): { code?: string; message: string } {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? { code, message } : { message };
}

/**
 * Log fields and level for a failure in a background loop: a database outage
 * is one warning line (`database: {code, message}`), anything else an error
 * with its stack (`err`).
 */
export function failureLog(error: unknown): { level: "warn" | "error"; fields: Record<string, unknown> } {
  return isDatabaseUnavailable(error)
    ? { level: "warn", fields: { database: describeDatabaseError(error) } }
    : { level: "error", fields: { err: error } };
}
