/**
 * @module unipile/gateway-failures
 * The gateway's typed failures and how SDK errors map to them. The HTTP
 * status comes from Unipile's error body (`err.body.status`), since SDK errors
 * carry no status; the transport's real status is the fallback when the body
 * is not Unipile's JSON (a Blob, read and parsed here when it holds JSON).
 */
import { InvalidResponseTypeError, UnipileError, UnsuccessfulRequestError } from "unipile-node-sdk";
import { HttpStatusError, RequestTimeoutError } from "./gateway-transport";

/**
 * Why a Unipile call failed.
 * - `http`: Unipile answered non-2xx; `type` is its slug (`errors/disconnected_account`, …),
 *   `retryAfterMs` set when a `Retry-After` header came with it.
 * - `timeout`: no full answer within the gateway's `timeoutMs` (a write may still have happened).
 * - `network`: the request could not be made (refused, reset, DNS).
 * - `invalid_response`: a 2xx body that is not the shape we expect (SDK validator or our schema).
 * - `invalid_request`: the SDK refused our input before sending it.
 */
export type UnipileFailure =
  | { kind: "http"; status: number; type: string; title: string; detail: string; retryAfterMs?: number }
  | { kind: "timeout"; timeoutMs: number }
  | { kind: "network"; message: string }
  | { kind: "invalid_response"; message: string; issues: string[] }
  | { kind: "invalid_request"; message: string };

const str = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback);

/** Seconds or an HTTP date, as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const readBody = async (body: unknown): Promise<unknown> => {
  if (!(body instanceof Blob)) return body;
  const text = await body.text();
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
};

/** Maps anything a gateway call threw to a failure. */
export async function toFailure(error: unknown): Promise<UnipileFailure> {
  if (error instanceof RequestTimeoutError) return { kind: "timeout", timeoutMs: error.timeoutMs };
  if (error instanceof InvalidResponseTypeError) {
    const issues = Array.isArray(error.body)
      ? error.body.slice(0, 5).map((e: { path?: string; message?: string }) => `${e.path ?? ""}: ${e.message ?? ""}`)
      : [];
    return { kind: "invalid_response", message: "response failed the SDK validator", issues };
  }
  if (error instanceof UnsuccessfulRequestError) {
    const body = (await readBody(error.body)) as Record<string, unknown> | null;
    const httpStatus = error instanceof HttpStatusError ? error.httpStatus : 0;
    const status = typeof body?.status === "number" ? body.status : httpStatus;
    const retryAfterMs = error instanceof HttpStatusError ? parseRetryAfter(error.retryAfter) : undefined;
    return {
      kind: "http",
      status,
      type: str(body?.type, `errors/http_${status}`),
      title: str(body?.title, ""),
      detail: str(body?.detail, ""),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (error instanceof UnipileError) return { kind: "invalid_request", message: error.message };
  return { kind: "network", message: error instanceof Error ? error.message : String(error) };
}

/** Whether a failure may be retried: 429/503 always (not processed); timeouts, network and 5xx only for idempotent calls. */
export function isRetryable(failure: UnipileFailure, idempotent: boolean): boolean {
  switch (failure.kind) {
    case "http":
      return failure.status === 429 || failure.status === 503 || (idempotent && failure.status >= 500);
    case "timeout":
    case "network":
      return idempotent;
    default:
      return false;
  }
}
