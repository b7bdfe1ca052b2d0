/**
 * @module subscriptions/send
 * One delivery attempt over HTTP: the target is checked again (DNS may have
 * changed), the body is signed with every valid secret, redirects are not
 * followed, and only a 2xx within the timeout counts as delivered.
 */
import { signedHeaders } from "./signing";
import { checkTarget } from "./url-guard";

export interface SendInput {
  url: string;
  eventId: string;
  body: string;
  secrets: readonly string[];
  timeoutMs: number;
  allowPrivate: boolean;
  now: () => Date;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  retryAfter: string | null;
}

export async function sendWebhook(input: SendInput): Promise<SendResult> {
  const started = performance.now();
  const done = (r: Omit<SendResult, "durationMs">): SendResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  const target = await checkTarget(input.url, input.allowPrivate);
  if (!target.ok) return done({ ok: false, statusCode: null, error: `URL refused: ${target.reason}`, retryAfter: null });
  const timestamp = Math.floor(input.now().getTime() / 1000);
  try {
    const response = await fetch(target.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(input.timeoutMs),
      headers: { "content-type": "application/json", "user-agent": "commsync-unipile-webhooks/1", ...signedHeaders(input.secrets, input.eventId, timestamp, input.body) },
      body: input.body,
    });
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    const error = ok ? null : response.status >= 300 && response.status < 400 ? `redirect (${response.status}) not followed` : `HTTP ${response.status}`;
    return done({ ok, statusCode: response.status, error, retryAfter: response.headers.get("retry-after") });
  } catch (error) {
    const name = (error as Error).name;
    const message = name === "TimeoutError" || name === "AbortError" ? `no answer within ${input.timeoutMs} ms` : (error as Error).message || String(error);
    return done({ ok: false, statusCode: null, error: message.slice(0, 500), retryAfter: null });
  }
}
