/**
 * @module unipile/upstream-errors
 * A Unipile failure as our API error: Unipile's own words kept in `details`.
 */
import { ApiError } from "../http/errors";
import type { UnipileFailure } from "./gateway";

export function upstreamError(failure: UnipileFailure): ApiError {
  switch (failure.kind) {
    case "http": {
      const details = { unipile: { status: failure.status, type: failure.type, title: failure.title, detail: failure.detail } };
      if (failure.status === 429) {
        const headers = failure.retryAfterMs ? { "Retry-After": String(Math.ceil(failure.retryAfterMs / 1000)) } : undefined;
        return new ApiError("TOO_MANY_REQUESTS", "Unipile is rate limiting this account; try again later.", details, headers);
      }
      return new ApiError("UPSTREAM_FAILED", `Unipile refused the request: ${failure.title || failure.type}.`, details);
    }
    case "timeout":
      return new ApiError("UPSTREAM_TIMEOUT", "Unipile did not answer in time.");
    default:
      return new ApiError("UPSTREAM_FAILED", "Unipile could not be reached.", { unipile: { kind: failure.kind } });
  }
}
