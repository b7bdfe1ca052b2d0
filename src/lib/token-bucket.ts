/**
 * @module lib/token-bucket
 * A token bucket as a pure function of time: `burst` tokens at most, refilled
 * at `perSecond`; a request takes `cost` tokens or, when too few are left,
 * is told how long until enough are. Callers keep the state (in memory, per
 * key) and pass the time in.
 */

export interface BucketState {
  tokens: number;
  /** Epoch ms of `tokens`. */
  at: number;
}

export interface BucketRule {
  perSecond: number;
  burst: number;
}

export interface BucketAnswer {
  allowed: boolean;
  /** The state after this request (unchanged tokens when refused, but refilled to `now`). */
  state: BucketState;
  /** Whole tokens left. */
  remaining: number;
  /** Ms until the request would be allowed (0 when allowed). */
  retryAfterMs: number;
  /** Ms until the bucket is full again. */
  fullInMs: number;
}

/** The bucket at `now`, refilled. A new key starts full. */
export function refill(state: BucketState | undefined, rule: BucketRule, now: number): BucketState {
  if (!state) return { tokens: rule.burst, at: now };
  const elapsed = Math.max(0, now - state.at) / 1000;
  return { tokens: Math.min(rule.burst, state.tokens + elapsed * rule.perSecond), at: now };
}

/** Looks without taking: whether `cost` tokens are there. */
export function peek(state: BucketState | undefined, rule: BucketRule, now: number, cost = 1): BucketAnswer {
  const current = refill(state, rule, now);
  const missing = cost - current.tokens;
  const retryAfterMs = missing <= 0 ? 0 : Math.ceil((missing / rule.perSecond) * 1000);
  return {
    allowed: missing <= 0,
    state: current,
    remaining: Math.max(0, Math.floor(current.tokens)),
    retryAfterMs,
    fullInMs: Math.ceil(((rule.burst - current.tokens) / rule.perSecond) * 1000),
  };
}

/** Takes `cost` tokens when they are there. */
export function take(state: BucketState | undefined, rule: BucketRule, now: number, cost = 1): BucketAnswer {
  const answer = peek(state, rule, now, cost);
  if (!answer.allowed) return answer;
  const tokens = answer.state.tokens - cost;
  return {
    ...answer,
    state: { tokens, at: now },
    remaining: Math.max(0, Math.floor(tokens)),
    fullInMs: Math.ceil(((rule.burst - tokens) / rule.perSecond) * 1000),
  };
}
