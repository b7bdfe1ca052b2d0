/**
 * @module console/api-client
 * The typed API client the console's components take as a prop: `hc<AppType>`
 * from `hono/client`, typed by the service's own routes (a type-only import of
 * `AppType`: nothing of the server is bundled). Every path, argument and
 * answer the components use is checked against the routes' declarations.
 */
import { type ClientResponse, hc } from "hono/client";
import type { SuccessStatusCode } from "hono/utils/http-status";
import type { AppType } from "../../app";
import type { Account } from "./model";

export type { AppType };
/** `hc<AppType>`'s client: what `WhatsAppAccountDialog`, `WhatsAppAccountCard` and the pages take as `client`. */
export type ApiClient = ReturnType<typeof hc<AppType>>;

/**
 * The client for a base URL (the console passes its own origin). With a
 * token, every request carries `Authorization: Bearer`; without one, the
 * browser's same-origin cookies (the app's session, where configured) go along.
 */
export function createApiClient(baseUrl: string, token: string | null): ApiClient {
  return hc<AppType>(baseUrl, {
    headers: (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {}),
    init: { credentials: "same-origin" },
  });
}

/**
 * A route's success body: of the answers `hc` types for a call (each declared
 * response, and the `{error, code, requestId}` of the others), the ones whose
 * every status is a success. (`response.ok` does not narrow them: the error
 * answer is typed with every status the route does not declare, 2xx ones too.)
 */
export type Ok<R> = R extends ClientResponse<infer T, infer S, infer _F> ? ([S] extends [SuccessStatusCode] ? T : never) : never;

/** What a client call answers when it succeeds, e.g. `Answer<ApiClient["api"]["me"]["$get"]>`. */
export type Answer<F extends (...args: never[]) => Promise<unknown>> = Ok<Awaited<ReturnType<F>>>;

/**
 * Awaits a client call: its success body, typed from the route; otherwise an
 * `Error` whose message says what went wrong, in words.
 */
export async function answer<R extends ClientResponse<unknown, number, string>>(call: Promise<R>): Promise<Ok<R>> {
  const response = await call.catch(() => {
    throw new Problem("The service cannot be reached.", null);
  });
  if (!response.ok) throw new Problem(await problemOf(response), response.status);
  return (await response.json()) as Ok<R>;
}

/** A call that failed: the service's words (or the network's), and the status it answered (null: no answer). */
export class Problem extends Error {
  constructor(message: string, readonly status: number | null) {
    super(message);
  }
}

/** A list of accounts (`GET /api/unipile/account` answers `{accounts}`, or `{account}` when asked for one). */
export const accountsOf = (body: { accounts: Account[] } | { account: Account }): Account[] => ("accounts" in body ? body.accounts : [body.account]);

type Send = ApiClient["api"]["unipile"]["message"]["$post"];
/** A send's multipart form: the JSON send's fields, and the files. */
export type SendForm = Parameters<Send>[0]["json"] & { attachments?: File[] };

/**
 * A send with attachments, as multipart/form-data. The one call `hc` cannot
 * type: the service types its send route for the client as JSON only (the
 * multipart form is in the OpenAPI document; the route reads its body
 * itself), so this gives `$post` the `form` that `hc` sends at run time. The
 * fields are the JSON send's, the answer the route's.
 */
export function sendForm(client: ApiClient, form: SendForm, idempotencyKey: string): ReturnType<Send> {
  const post = client.api.unipile.message.$post as unknown as (args: { form: SendForm; header: { "idempotency-key": string } }) => ReturnType<Send>;
  return post({ form, header: { "idempotency-key": idempotencyKey } });
}

/** The `{error, code}` of a failed answer, in words. */
export async function problemOf(response: { status: number; json(): Promise<unknown> }): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: unknown; code?: unknown } | null;
  if (body && typeof body.error === "string") return body.error;
  return `The service answered ${response.status}.`;
}
