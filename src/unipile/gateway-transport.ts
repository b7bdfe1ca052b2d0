/**
 * @module unipile/gateway-transport
 * A per-client transport for the SDK. SDK 1.9.3 calls the global `fetch`
 * with no timeout and hides the response (no status on its errors, no
 * headers), so we replace `client.request.send` on our own client instance:
 * the SDK still builds every request (paths, query, JSON and multipart
 * bodies) and validates with its own validators; this only adds an abort
 * timeout and keeps the HTTP status and `Retry-After` header of failures.
 * The rest mirrors the SDK's `RequestSender.send` line for line (JSON when
 * the content type says so, a Blob otherwise; 2xx is success). Pinned to SDK
 * 1.9.3; revisit on upgrade.
 */
import { UnipileClient, UnsuccessfulRequestError, ValidatorMissingError } from "unipile-node-sdk";
import type { RequestInput } from "unipile-node-sdk";

/** A non-2xx answer: the SDK's error, plus what the SDK drops. */
export class HttpStatusError extends UnsuccessfulRequestError {
  constructor(
    body: unknown,
    readonly httpStatus: number,
    readonly retryAfter: string | null,
  ) {
    super(body);
    this.name = "HttpStatusError";
  }
}

/** Raised when the whole call (connect, headers and body) took longer than `timeoutMs`. */
export class RequestTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Unipile did not answer within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

interface SdkInternals {
  state: { protocol: string; domain: string; apiVersion: string };
  request: {
    buildUrl(url: { protocol: string; domain: string; apiVersion: string; path: string[]; parameters: Record<string, string> }): string;
    validate(body: unknown, validator: unknown, level: "warn" | "error"): unknown;
    send: (input: RequestInput) => Promise<unknown>;
  };
}

export interface TransportOptions {
  baseUrl: string;
  accessToken: string;
  timeoutMs: number;
  /** Run the SDK's response validators at level 'error'. */
  validate: boolean;
}

/** An SDK client whose requests time out and report status and Retry-After. */
export function createTimedClient(options: TransportOptions): UnipileClient {
  const client = new UnipileClient(options.baseUrl, options.accessToken, {
    validateRequestPayload: options.validate,
    validateRequestPayloadLevel: "error",
  });
  const internals = client as unknown as SdkInternals;
  const sdkRequest = internals.request;
  sdkRequest.send = async (input: RequestInput) => {
    const { state } = internals;
    const url = sdkRequest.buildUrl({
      protocol: state.protocol,
      domain: state.domain,
      apiVersion: state.apiVersion,
      path: input.path,
      parameters: input.parameters ?? {},
    });
    const isJson = input.body !== undefined && input.headers?.["Content-Type"] === "application/json";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const response = await fetch(url, {
        method: input.method,
        headers: { "X-API-KEY": options.accessToken, accept: "application/json", ...(input.headers ?? {}) },
        body: isJson ? JSON.stringify(input.body) : ((input.body as RequestInit["body"]) ?? undefined),
        signal: controller.signal,
      });
      const body: unknown = response.headers.get("content-type")?.includes("application/json")
        ? await response.json()
        : await response.blob();
      if (response.status < 200 || response.status >= 300) {
        throw new HttpStatusError(body, response.status, response.headers.get("retry-after"));
      }
      if (!options.validate) return body;
      if (input.validator === undefined) throw new ValidatorMissingError();
      return sdkRequest.validate(body, input.validator, "error");
    } catch (error) {
      if (controller.signal.aborted) throw new RequestTimeoutError(options.timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  return client;
}
