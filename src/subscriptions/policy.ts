/**
 * @module subscriptions/policy
 * When to try again after a failed delivery, and when to give up. Pure: the
 * caller brings the random number and the time.
 */

export interface RetrySettings {
  baseMs: number;
  maxMs: number;
  /** Consecutive failures after which the subscription is disabled. */
  disableAfterFailures: number;
  /** Failing for this long disables it too. */
  disableAfterMs: number;
}

/** Exponential backoff with ±20 % jitter: base · 2^(failures−1), at most max. `random` in [0, 1). */
export function backoffMs(failures: number, settings: RetrySettings, random: number): number {
  const exponential = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(exponential * (0.8 + 0.4 * random));
}

/** A Retry-After header (seconds or an HTTP date) as milliseconds from `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now.getTime());
}

/** The wait before the next attempt: the backoff, or the receiver's Retry-After when longer (bounded by a day). */
export function nextDelayMs(failures: number, retryAfter: number | null, settings: RetrySettings, random: number): number {
  const backoff = backoffMs(failures, settings, random);
  return retryAfter === null ? backoff : Math.min(86_400_000, Math.max(backoff, retryAfter));
}

export type Verdict = { disable: false } | { disable: true; reason: string };

/** After a failed attempt: whether the subscription is disabled, and why. */
export function verdictAfterFailure(input: { statusCode: number | null; failures: number; failingSince: Date; now: Date }, settings: RetrySettings): Verdict {
  if (input.statusCode === 410) return { disable: true, reason: "The receiver answered 410 Gone." };
  if (input.failures >= settings.disableAfterFailures) return { disable: true, reason: `${input.failures} delivery attempts failed in a row.` };
  if (input.now.getTime() - input.failingSince.getTime() >= settings.disableAfterMs) {
    return { disable: true, reason: `Deliveries have failed since ${input.failingSince.toISOString()}.` };
  }
  return { disable: false };
}
