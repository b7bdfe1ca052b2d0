/**
 * @module sync/events
 * The durable contract of the sync: what the background poll, the history
 * backfill and the gap fill recorded about each account. The messages and
 * chats they read are recorded as `UnipileMessageObserved` and
 * `UnipileChatObserved` facts (unipile/ingest/rest-facts.ts); these events say which
 * run read them, why, and how far it got.
 *
 * Two streams per Unipile account, so that the sync's own state is always the
 * LAST event of a stream (one indexed read, however long the history):
 * - `account-backfill:<id>`: one history import after another. Every event
 *   carries the run's whole state (cursor, counts), so a restarted service
 *   resumes from the last one.
 * - `account-sync:<id>`: the polls that found something, filled a gap or
 *   caught up after a stop. Each carries the position the poll reached.
 *
 * Each event's dedupe key holds its sequence number in its stream (`seq`):
 * two writers that both resume from one event cannot both advance it; the
 * second one's append is a duplicate and it stops. Pure.
 */

export const backfillStream = (unipileAccountId: string) => `account-backfill:${unipileAccountId}`;
export const syncStream = (unipileAccountId: string) => `account-sync:${unipileAccountId}`;

/** Why a history import ran: the account was linked, or Unipile said its own history sync finished. */
export type BackfillReason = "connected" | "sync_success";
/** A backfill first lists every chat, then every message of the account (newest first). */
export type BackfillPhase = "chats" | "messages";
/**
 * Why a poll ran: its interval came (`interval`), a user asked (`manual`), the
 * account came back after an outage (`gap_fill`), or the account had not been
 * synced for a long time, the service or Unipile having been down (`catch_up`).
 */
export type SyncTrigger = "interval" | "manual" | "gap_fill" | "catch_up";

/** A backfill run as every backfill event describes it. */
export interface BackfillRunData {
  unipileAccountId: string;
  runId: string;
  reason: BackfillReason;
  /** The run's checkpoint number: 0 at the start, +1 per page. */
  seq: number;
  phase: BackfillPhase;
  /** Unipile's cursor to the phase's next page; null: the phase's first page. */
  cursor: string | null;
  chatsDone: number;
  /** Messages read from Unipile so far (new to the log or not). */
  messagesSeen: number;
  startedAt: string;
  at: string;
}

export interface AccountBackfillStarted {
  type: "AccountBackfillStarted";
  data: BackfillRunData & {
    /** The SYNC_SUCCESS report (its time) that asked for this run; null for the first import. */
    syncSuccessAt: string | null;
  };
}

export interface AccountBackfillProgressed {
  type: "AccountBackfillProgressed";
  data: BackfillRunData;
}

export interface AccountBackfillCompleted {
  type: "AccountBackfillCompleted";
  data: BackfillRunData;
}

export interface AccountSyncCompleted {
  type: "AccountSyncCompleted";
  data: {
    unipileAccountId: string;
    runId: string;
    /** Number of this event in the account's sync stream. */
    seq: number;
    trigger: SyncTrigger;
    /** Messages and chats were read with `after` = this (exclusive); null: from the beginning. */
    after: string | null;
    /** Unipile's message time up to which the sync has read, before and after this run. */
    positionBefore: string | null;
    position: string | null;
    chatsSeen: number;
    /** Chats whose description was new to the log. */
    chatsRecorded: number;
    messagesSeen: number;
    /** Messages the log did not have (webhooks had not brought them). */
    messagesNew: number;
    /** Unipile ids of those messages (the first 200). */
    newMessageIds: string[];
    /** For a gap fill: when the outage began. */
    gapSince: string | null;
    at: string;
  };
}

export type BackfillEvent = AccountBackfillStarted | AccountBackfillProgressed | AccountBackfillCompleted;
export type SyncEvent = BackfillEvent | AccountSyncCompleted;
export type SyncEventType = SyncEvent["type"];

export const SYNC_EVENT_TYPES: readonly SyncEventType[] = [
  "AccountBackfillStarted",
  "AccountBackfillProgressed",
  "AccountBackfillCompleted",
  "AccountSyncCompleted",
];

export const isSyncEvent = (event: { type: string }): event is SyncEvent => (SYNC_EVENT_TYPES as readonly string[]).includes(event.type);

/** Dedupe keys: one backfill per trigger, one event per sequence number. */
export const backfillStartKey = (unipileAccountId: string, reason: BackfillReason, syncSuccessAt: string | null) =>
  `account-backfill:${unipileAccountId}:${reason}:${syncSuccessAt ?? "first"}`;
export const backfillStepKey = (unipileAccountId: string, runId: string, seq: number) => `account-backfill:${unipileAccountId}:${runId}:${seq}`;
export const syncStepKey = (unipileAccountId: string, seq: number) => `account-sync:${unipileAccountId}:${seq}`;
