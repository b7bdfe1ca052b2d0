/**
 * @module messaging/send-pacing
 * Pacing of sends per WhatsApp account, so that the service never sends the
 * bursts and waves of new chats that get unofficial numbers restricted:
 * - messages per minute per account, with a burst (a token bucket);
 * - messages that start a new chat, per account per rolling day, lower while
 *   the account is in warm-up (linked fewer than `warmupDays` days ago):
 *   Unipile warns that fresh numbers are blocked after 2–3 new chats and
 *   should be warmed up over days with one or two chats a day;
 * - a least gap between two messages to one chat.
 * A send is reserved against all three at once or refused with the limit
 * and how long to wait; a refused send takes nothing.
 *
 * The state is in this process's memory: the pace holds per replica, and a
 * restart forgets the day's new chats. Send through one replica (or accept
 * N times the pace) until it moves to Postgres.
 */
import type { SendPacingSettings } from "../operations-config";
import { type BucketState, take } from "../lib/token-bucket";
import { metrics } from "../platform/metrics";

const DAY_MS = 86_400_000;

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

export type SendPacing = ReturnType<typeof createSendPacing>;

export function createSendPacing(settings: SendPacingSettings, now: () => number = Date.now) {
  const rate = { perSecond: settings.perMinute / 60, burst: settings.burst };
  const buckets = new Map<string, BucketState>();
  const newChats = new Map<string, number[]>();
  const lastToChat = new Map<string, number>();

  function newChatRefusal(send: PacedSend, at: number): PacingRefusal | null {
    if (!send.newChat) return null;
    const warm = send.linkedAt !== null && at - send.linkedAt.getTime() >= settings.warmupDays * DAY_MS;
    const quota = warm ? settings.newChatsPerDay : settings.newChatsPerDayWarmup;
    const recent = (newChats.get(send.accountId) ?? []).filter((t) => t > at - DAY_MS);
    newChats.set(send.accountId, recent);
    if (recent.length < quota) return null;
    const oldest = recent[recent.length - quota] ?? at;
    return { limit: "new_chats_per_day", retryAfterMs: Math.max(1, oldest + DAY_MS - at), quota, windowSeconds: DAY_MS / 1000 };
  }

  function sweep(at: number) {
    for (const [key, last] of lastToChat) if (at - last >= settings.chatMinGapMs) lastToChat.delete(key);
    for (const [key, state] of buckets) if (state.tokens + ((at - state.at) / 1000) * rate.perSecond >= rate.burst) buckets.delete(key);
  }

  return {
    settings,
    /** Reserves the send against every limit, or answers the first that refuses it (and takes nothing). */
    reserve(send: PacedSend): PacingRefusal | null {
      if (!settings.enabled) return null;
      const refusal = check(send);
      if (refusal) metrics.sendsPaced.inc({ limit: refusal.limit });
      return refusal;
    },
  };

  function check(send: PacedSend): PacingRefusal | null {
    const at = now();
    const last = lastToChat.get(send.chatKey);
    if (last !== undefined && at - last < settings.chatMinGapMs) {
      return { limit: "chat_gap", retryAfterMs: last + settings.chatMinGapMs - at, quota: 1, windowSeconds: Math.ceil(settings.chatMinGapMs / 1000) };
    }
    const answer = take(buckets.get(send.accountId), rate, at);
    if (!answer.allowed) return { limit: "account_rate", retryAfterMs: answer.retryAfterMs, quota: rate.burst, windowSeconds: Math.ceil(rate.burst / rate.perSecond) };
    const refused = newChatRefusal(send, at);
    if (refused) return refused;
    buckets.set(send.accountId, answer.state);
    lastToChat.set(send.chatKey, at);
    if (send.newChat) newChats.get(send.accountId)?.push(at);
    if (lastToChat.size > 10_000 || buckets.size > 10_000) sweep(at);
    return null;
  }
}
