/**
 * @module sends/pacing-rules
 * The pacing of one WhatsApp account as a pure function: given the account's
 * pacing state, a send and the time, either the new state (the send may go)
 * or the limit that refuses it and for how long (the state is unchanged: a
 * refused send takes nothing). Rules and defaults: README › Send pacing.
 */
import { type BucketState, take } from "../lib/token-bucket";

const DAY_MS = 86_400_000;

export interface PacingRules {
  /** Messages per minute per account, and the burst allowed after a quiet spell. */
  perMinute: number;
  burst: number;
  /** Messages that start a new chat, per account per rolling day. */
  newChatsPerDay: number;
  /** The same, for accounts linked fewer than `warmupDays` days ago. */
  newChatsPerDayWarmup: number;
  warmupDays: number;
  /** Least time between two messages to one chat. */
  chatMinGapMs: number;
}

/** One account's pacing state (stored as JSON). */
export interface PacingState {
  bucket: BucketState | null;
  /** Epoch ms of the new chats started in the last day. */
  newChats: number[];
  /** Epoch ms of the last message to each chat, for chats still inside the gap. */
  lastToChat: Record<string, number>;
}

export type PacingLimit = "account_rate" | "new_chats_per_day" | "chat_gap";

export interface PacingRefusal {
  limit: PacingLimit;
  retryAfterMs: number;
  /** The limit as an IETF RateLimit-Policy: quota and window in seconds. */
  quota: number;
  windowSeconds: number;
}

export interface PacedSend {
  accountId: string;
  /** The chat (conversation id, or the new chat's recipients). */
  chatKey: string;
  newChat: boolean;
  /** When the account was linked; null: unknown (treated as in warm-up). */
  linkedAt: Date | null;
}

export const emptyPacingState = (): PacingState => ({ bucket: null, newChats: [], lastToChat: {} });

export function decidePacing(state: PacingState, send: PacedSend, rules: PacingRules, now: number): { state: PacingState } | { refusal: PacingRefusal } {
  const last = state.lastToChat[send.chatKey];
  if (last !== undefined && now - last < rules.chatMinGapMs) {
    return { refusal: { limit: "chat_gap", retryAfterMs: last + rules.chatMinGapMs - now, quota: 1, windowSeconds: Math.ceil(rules.chatMinGapMs / 1000) } };
  }
  const rate = { perSecond: rules.perMinute / 60, burst: rules.burst };
  const answer = take(state.bucket ?? undefined, rate, now);
  if (!answer.allowed) {
    return { refusal: { limit: "account_rate", retryAfterMs: answer.retryAfterMs, quota: rate.burst, windowSeconds: Math.ceil(rate.burst / rate.perSecond) } };
  }
  const newChats = state.newChats.filter((t) => t > now - DAY_MS);
  if (send.newChat) {
    const warm = send.linkedAt !== null && now - send.linkedAt.getTime() >= rules.warmupDays * DAY_MS;
    const quota = warm ? rules.newChatsPerDay : rules.newChatsPerDayWarmup;
    if (newChats.length >= quota) {
      const oldest = newChats[newChats.length - quota] ?? now;
      return { refusal: { limit: "new_chats_per_day", retryAfterMs: Math.max(1, oldest + DAY_MS - now), quota, windowSeconds: DAY_MS / 1000 } };
    }
    newChats.push(now);
  }
  const lastToChat: Record<string, number> = {};
  for (const [chat, at] of Object.entries(state.lastToChat)) if (now - at < rules.chatMinGapMs) lastToChat[chat] = at;
  if (rules.chatMinGapMs > 0) lastToChat[send.chatKey] = now;
  return { state: { bucket: answer.state, newChats, lastToChat } };
}
