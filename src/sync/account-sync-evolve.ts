/**
 * @module sync/account-sync-evolve
 * The sync's progress on the account row: history imports (state, chats
 * done, messages seen and imported), the poll's position and last recorded
 * run, the messages that came by the sync rather than by webhook, and the
 * outage gap it closes. Pure; sync events only ever touch an existing row
 * (the sync runs for known accounts only).
 */
import type { AccountRow, AccountRowFold } from "../accounts";
import type { RecordedEvent } from "../event-store/event";
import { isSyncEvent, SYNC_EVENT_TYPES, type SyncEvent } from "./events";

/** The part of a `UnipileMessageObserved` event the count needs. */
export interface ObservedMessage {
  type: "UnipileMessageObserved";
  data: { unipileAccountId: string; via: string };
  metadata: { syncRunId?: unknown };
}

export function evolveAccountSync(row: AccountRow | null, event: SyncEvent): AccountRow | null {
  if (!row) return row;
  switch (event.type) {
    case "AccountBackfillStarted":
      return {
        ...row,
        backfillRunId: event.data.runId,
        backfillReason: event.data.reason,
        backfillState: "running",
        backfillStartedAt: new Date(event.data.startedAt),
        backfillCompletedAt: null,
        backfillChatsDone: 0,
        backfillMessagesSeen: 0,
        backfillMessagesImported: 0,
      };
    case "AccountBackfillProgressed":
    case "AccountBackfillCompleted": {
      if (event.data.runId !== row.backfillRunId) return row;
      const done = event.type === "AccountBackfillCompleted";
      return {
        ...row,
        backfillState: done ? "done" : "running",
        backfillCompletedAt: done ? new Date(event.data.at) : null,
        backfillChatsDone: event.data.chatsDone,
        backfillMessagesSeen: event.data.messagesSeen,
      };
    }
    case "AccountSyncCompleted": {
      const { data } = event;
      // A gap closes only when the account is still connected (it may have dropped again meanwhile).
      const closesGap = data.gapSince !== null && row.status === "connected";
      return {
        ...row,
        syncPosition: data.position === null ? row.syncPosition : new Date(data.position),
        syncLastRunAt: new Date(data.at),
        syncLastTrigger: data.trigger,
        syncGapSince: closesGap ? null : row.syncGapSince,
      };
    }
    default: {
      const unexpected: never = event;
      return unexpected;
    }
  }
}

/**
 * Counts a message the sync brought into the log (each such fact is stored
 * once, so the count is exact): in the account's total, and in the running
 * import's when the fact carries that run's id.
 */
export function countObservedMessage(row: AccountRow | null, event: ObservedMessage): AccountRow | null {
  if (!row) return row;
  const { via } = event.data;
  if (via !== "poll" && via !== "backfill") return row;
  const ofThisImport = via === "backfill" && row.backfillRunId !== null && event.metadata.syncRunId === row.backfillRunId;
  return {
    ...row,
    syncMessagesImported: row.syncMessagesImported + 1,
    backfillMessagesImported: row.backfillMessagesImported + (ofThisImport ? 1 : 0),
  };
}

const OBSERVED_MESSAGE = "UnipileMessageObserved";

/** The sync's part of the account row, for the accounts projection (composed in deps.ts). */
export const syncAccountRowFold: AccountRowFold = {
  eventTypes: [...SYNC_EVENT_TYPES, OBSERVED_MESSAGE],
  evolve(row: AccountRow | null, event: RecordedEvent) {
    if (isSyncEvent(event)) return evolveAccountSync(row, event as unknown as SyncEvent);
    if (event.type === OBSERVED_MESSAGE) return countObservedMessage(row, event as unknown as ObservedMessage);
    return row;
  },
};
