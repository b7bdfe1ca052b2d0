/**
 * @module sync/decider
 * What a sync run does for one account, decided from the last sync events,
 * the account row and the time: whether a history import starts, where the
 * poll reads from, why it runs, whether it is worth an event, and how long to
 * wait after a failure. Pure: time and randomness come in as arguments.
 */
import type { AccountStatus } from "../accounts/status-mapping";
import type { UnipileFailure } from "../unipile";
import type { AccountSyncCompleted, BackfillEvent, BackfillReason, BackfillRunData, SyncTrigger } from "./events";

export interface BackfillState extends BackfillRunData {
  done: boolean;
}

export interface SyncState {
  /** Unipile's message time up to which the poll has read; null: no poll recorded yet. */
  position: string | null;
  /** The sync stream's last sequence number (0: empty). */
  seq: number;
  /** The outage start the last recorded gap fill answered (so a lagging projection does not fill it twice). */
  lastGapFilled: string | null;
  /** The latest history import, running or done. */
  backfill: BackfillState | null;
}

/** The state, from the last event of each sync stream (each carries its stream's whole state). */
export function syncStateOf(lastBackfill: BackfillEvent | null, lastSync: AccountSyncCompleted | null): SyncState {
  const backfill = lastBackfill
    ? {
        unipileAccountId: lastBackfill.data.unipileAccountId,
        runId: lastBackfill.data.runId,
        reason: lastBackfill.data.reason,
        seq: lastBackfill.data.seq,
        phase: lastBackfill.data.phase,
        cursor: lastBackfill.data.cursor,
        chatsDone: lastBackfill.data.chatsDone,
        messagesSeen: lastBackfill.data.messagesSeen,
        startedAt: lastBackfill.data.startedAt,
        at: lastBackfill.data.at,
        done: lastBackfill.type === "AccountBackfillCompleted",
      }
    : null;
  return { position: lastSync?.data.position ?? null, seq: lastSync?.data.seq ?? 0, lastGapFilled: lastSync?.data.gapSince ?? null, backfill };
}

/** What the sync needs to know of the account (from the accounts projection). */
export interface AccountSyncView {
  status: AccountStatus;
  /** When Unipile last reported SYNC_SUCCESS (its history is complete). */
  lastSync: Date | null;
  /** An outage not yet gap-filled began then. */
  syncGapSince: Date | null;
}

export interface BackfillStart {
  reason: BackfillReason;
  /** The SYNC_SUCCESS report this import answers (its time), or null for the first import. */
  syncSuccessAt: string | null;
}

/**
 * A new history import starts for a connected account that never had one,
 * and after each SYNC_SUCCESS newer than the last import's start (history
 * may have arrived after that import read the chats). A running import is
 * finished first.
 */
export function backfillToStart(account: AccountSyncView, backfill: BackfillState | null): BackfillStart | null {
  if (account.status !== "connected") return null;
  if (backfill && !backfill.done) return null;
  const syncSuccessAt = account.lastSync?.toISOString() ?? null;
  if (syncSuccessAt && (!backfill || Date.parse(syncSuccessAt) > Date.parse(backfill.startedAt))) {
    return { reason: "sync_success", syncSuccessAt };
  }
  return backfill ? null : { reason: "connected", syncSuccessAt: null };
}

/**
 * Where the poll's coverage starts: the recorded position, or else the
 * latest import's start (the import reads everything older than that).
 */
export const pollFrom = (state: SyncState): string | null => state.position ?? state.backfill?.startedAt ?? null;

/**
 * The `after` bound of the poll: the position minus an overlap, so messages
 * Unipile stores slightly out of order (or with clocks a little apart) are
 * still read; reading one twice costs nothing, it is deduplicated.
 */
export function windowAfter(from: string | null, overlapMs: number): string | null {
  if (from === null) return null;
  return new Date(Date.parse(from) - overlapMs).toISOString();
}

/** The position after a poll: the newest message time it read, never moving back. */
export function advancePosition(from: string | null, timestamps: readonly string[]): string | null {
  let newest = from === null ? Number.NEGATIVE_INFINITY : Date.parse(from);
  for (const t of timestamps) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms) && ms > newest) newest = ms;
  }
  return Number.isFinite(newest) ? new Date(newest).toISOString() : from;
}

export interface TriggerInput {
  manual: boolean;
  gapSince: Date | null;
  /** The outage start the last recorded gap fill answered. */
  lastGapFilled: string | null;
  /** The account's last successful sync run (any replica); null: never. */
  lastSuccessAt: Date | null;
  now: Date;
  catchUpAfterMs: number;
}

/** Why this poll runs: a pending outage wins (unless already filled), then a long silence, then the asker. */
export function pollTrigger(input: TriggerInput): SyncTrigger {
  const gap = input.gapSince?.toISOString() ?? null;
  if (gap && gap !== input.lastGapFilled) return "gap_fill";
  if (input.lastSuccessAt && input.now.getTime() - input.lastSuccessAt.getTime() > input.catchUpAfterMs) return "catch_up";
  return input.manual ? "manual" : "interval";
}

export interface PollOutcome {
  trigger: SyncTrigger;
  messagesNew: number;
  chatsRecorded: number;
  positionBefore: string | null;
  position: string | null;
}

/**
 * Whether a poll is recorded as `AccountSyncCompleted`: always for a gap fill
 * or a catch-up (history must show what they found, even nothing); otherwise
 * when it found something new, or when its position moved by at least the
 * overlap (so the read window stays short without an event per poll).
 */
export function shouldRecordPoll(outcome: PollOutcome, overlapMs: number): boolean {
  if (outcome.trigger === "gap_fill" || outcome.trigger === "catch_up") return true;
  if (outcome.messagesNew > 0 || outcome.chatsRecorded > 0) return true;
  if (outcome.position === null) return false;
  if (outcome.positionBefore === null) return true;
  return Date.parse(outcome.position) - Date.parse(outcome.positionBefore) >= overlapMs;
}

/** The next interval, jittered ±20% so replicas and accounts drift apart. */
export const jitteredIntervalMs = (intervalMs: number, random: number) => Math.round(intervalMs * (0.8 + 0.4 * random));

export interface BackoffInput {
  /** Consecutive failures, this one included (≥ 1). */
  failures: number;
  baseMs: number;
  maxMs: number;
  /** Unipile's Retry-After, when it sent one: never retried sooner. */
  retryAfterMs?: number;
  random: number;
}

/** Exponential backoff with jitter (between half and all of the step), capped, and at least Retry-After. */
export function backoffDelayMs(input: BackoffInput): number {
  const step = Math.min(input.maxMs, input.baseMs * 2 ** Math.max(0, input.failures - 1));
  const jittered = Math.round(step * (0.5 + input.random / 2));
  return Math.max(jittered, input.retryAfterMs ?? 0);
}

/** Failures that say Unipile itself is struggling (the whole sync slows down), not this account. */
export function isOutage(failure: UnipileFailure): boolean {
  switch (failure.kind) {
    case "http":
      return failure.status === 429 || failure.status >= 500;
    case "timeout":
    case "network":
      return true;
    default:
      return false;
  }
}

export const retryAfterOf = (failure: UnipileFailure): number | undefined => (failure.kind === "http" ? failure.retryAfterMs : undefined);
