/**
 * @module sandbox/errors
 * Unipile v1 error bodies `{status, type, title, detail}` and the exception the
 * route handlers throw to answer with one; the app's `onError` renders it.
 */
export interface UnipileErrorBody {
  status: number;
  type: string;
  title: string;
  detail: string;
}

const TITLES: Record<string, string> = {
  "errors/missing_credentials": "Missing credentials",
  "errors/resource_not_found": "Resource not found.",
  "errors/invalid_parameters": "Invalid parameters",
  "errors/missing_parameters": "Missing parameters",
  "errors/malformed_request": "Malformed request",
  "errors/limit_too_high": "Limit too high",
  "errors/disconnected_account": "Disconnected account",
  "errors/too_many_requests": "Too many requests",
  "errors/unexpected_error": "Unexpected error",
  "errors/provider_error": "Provider error",
  "errors/service_unavailable": "Service unavailable",
  "errors/request_timeout": "Request timeout",
  "errors/invalid_action": "Invalid action",
};

/** Default `type` slug for a status, used by injected faults without one. */
export const defaultTypeFor = (status: number): string =>
  ({
    400: "errors/invalid_parameters",
    401: "errors/disconnected_account",
    404: "errors/resource_not_found",
    429: "errors/too_many_requests",
    500: "errors/unexpected_error",
    503: "errors/service_unavailable",
    504: "errors/request_timeout",
  })[status] ?? "errors/unexpected_error";

export const errorBody = (status: number, type: string, detail: string): UnipileErrorBody => ({
  status,
  type,
  title: TITLES[type] ?? type.replace(/^errors\//, "").replace(/_/g, " "),
  detail,
});

/** Thrown by handlers; rendered as Unipile's error JSON. */
export class SandboxApiError extends Error {
  constructor(
    readonly body: UnipileErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${body.status} ${body.type}: ${body.detail}`);
    this.name = "SandboxApiError";
  }
}

export const notFound = (what: string): SandboxApiError =>
  new SandboxApiError(
    errorBody(404, "errors/resource_not_found", `The requested resource were not found.\n${what} not found`),
  );

export const invalidParameters = (detail: string): SandboxApiError =>
  new SandboxApiError(errorBody(400, "errors/invalid_parameters", detail));

export const disconnectedAccount = (): SandboxApiError =>
  new SandboxApiError(
    errorBody(401, "errors/disconnected_account", "The account appears to be disconnected from the provider service."),
  );

export const missingCredentials = (): UnipileErrorBody =>
  errorBody(401, "errors/missing_credentials", "The request is missing valid credentials (X-API-KEY header).");
