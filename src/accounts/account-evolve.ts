/**
 * @module accounts/account-evolve
 * The account as its events make it: one pure fold used by the accounts
 * projection (one row per Unipile account) and by the command decider.
 * Status facts may arrive before the connection request that explains them
 * (a fast scan); the row then exists without owner until the request lands.
 */
import type { AccountEvent } from "./events";
import { type AccountStatus, statusFromUnipile, TERMINAL } from "./status-mapping";

export interface AccountRow {
  unipileAccountId: string;
  /** Our id; null until the connection request is in the log (an account we do not know). */
  id: string | null;
  userId: string | null;
  provider: "whatsapp";
  status: AccountStatus;
  /** Unipile's last status word, as said. */
  unipileStatus: string | null;
  /** Why the status last changed: the Unipile word, or our own reason. */
  statusReason: string | null;
  connectionMethod: string | null;
  phoneNumber: string | null;
  name: string | null;
  qrExpiresAt: Date | null;
  createdAt: Date | null;
  updatedAt: Date;
  statusChangedAt: Date | null;
  connectedAt: Date | null;
  /** When Unipile last said a history sync finished (SYNC_SUCCESS). */
  lastSync: Date | null;
  disconnectedAt: Date | null;
  // The sync (src/sync), folded by account-sync-evolve.ts.
  /** The latest history import: its run, why it ran, its state and progress. */
  backfillRunId: string | null;
  backfillReason: string | null;
  backfillState: BackfillRowState | null;
  backfillStartedAt: Date | null;
  backfillCompletedAt: Date | null;
  backfillChatsDone: number;
  backfillMessagesSeen: number;
  /** Messages of this import that the log did not have before. */
  backfillMessagesImported: number;
  /** Unipile's message time up to which the poll has read. */
  syncPosition: Date | null;
  /** When a poll was last recorded (it found something, filled a gap or caught up). */
  syncLastRunAt: Date | null;
  syncLastTrigger: string | null;
  /** Every message the log has from the poll or a backfill rather than from a webhook. */
  syncMessagesImported: number;
  /** The account left `connected` then and the gap since is not yet filled. */
  syncGapSince: Date | null;
}

export type BackfillRowState = "running" | "done";

const blank = (unipileAccountId: string, at: Date): AccountRow => ({
  unipileAccountId,
  id: null,
  userId: null,
  provider: "whatsapp",
  status: "pending",
  unipileStatus: null,
  statusReason: null,
  connectionMethod: null,
  phoneNumber: null,
  name: null,
  qrExpiresAt: null,
  createdAt: null,
  updatedAt: at,
  statusChangedAt: null,
  connectedAt: null,
  lastSync: null,
  disconnectedAt: null,
  backfillRunId: null,
  backfillReason: null,
  backfillState: null,
  backfillStartedAt: null,
  backfillCompletedAt: null,
  backfillChatsDone: 0,
  backfillMessagesSeen: 0,
  backfillMessagesImported: 0,
  syncPosition: null,
  syncLastRunAt: null,
  syncLastTrigger: null,
  syncMessagesImported: 0,
  syncGapSince: null,
});

function withStatus(row: AccountRow, status: AccountStatus, reason: string, at: Date): AccountRow {
  if (row.status === status) return { ...row, statusReason: reason, updatedAt: at };
  return {
    ...row,
    status,
    statusReason: reason,
    statusChangedAt: at,
    updatedAt: at,
    connectedAt: status === "connected" ? at : row.connectedAt,
    qrExpiresAt: status === "pending" ? row.qrExpiresAt : null,
  };
}

/**
 * Leaving `connected` for anything but the end (credentials lost, error,
 * stopped, …) opens a gap: Unipile sends no message webhooks meanwhile, so
 * the sync fills it once the account is back (account-sync-evolve.ts closes it).
 */
const opensGap = (before: AccountStatus, after: AccountStatus) => before === "connected" && after !== "connected" && !TERMINAL.includes(after);

export function evolveAccount(current: AccountRow | null, event: AccountEvent): AccountRow | null {
  const at = new Date(event.data.at);
  const row = current ?? blank(event.data.unipileAccountId, at);
  const ended = TERMINAL.includes(row.status);
  switch (event.type) {
    case "AccountConnectionRequested": {
      const { data } = event;
      const owned: AccountRow = {
        ...row,
        id: data.accountId,
        userId: data.userId,
        connectionMethod: data.method,
        createdAt: at,
        updatedAt: at,
      };
      // A status that arrived first (the phone scanned fast) stands.
      if (current && current.unipileStatus !== null) return owned;
      return { ...owned, status: "pending", statusReason: "connection requested", statusChangedAt: at, qrExpiresAt: new Date(data.expiresAt) };
    }
    case "QrCodeRefreshed":
      if (ended) return row;
      return { ...withStatus(row, "pending", "new QR code requested", at), qrExpiresAt: new Date(event.data.expiresAt) };
    case "AccountStatusReported": {
      const { unipileStatus } = event.data;
      if (ended) return { ...row, unipileStatus, updatedAt: at };
      const status = statusFromUnipile(unipileStatus);
      const next = status
        ? withStatus(row, status, event.data.reason ?? unipileStatus, at)
        : { ...row, statusReason: `unknown Unipile status ${unipileStatus}`, updatedAt: at };
      return {
        ...next,
        unipileStatus,
        lastSync: unipileStatus.toUpperCase() === "SYNC_SUCCESS" ? at : next.lastSync,
        syncGapSince: opensGap(row.status, next.status) ? (row.syncGapSince ?? at) : row.syncGapSince,
      };
    }
    case "AccountDetailsObserved":
      return {
        ...row,
        name: event.data.name ?? row.name,
        phoneNumber: event.data.phoneNumber ?? row.phoneNumber,
        updatedAt: at,
      };
    case "ConnectionAttemptExpired":
      if (row.status !== "pending") return row;
      return withStatus(row, "expired", "QR code not scanned in time", at);
    case "AccountDisconnected":
      // The user's disconnect wins over Unipile's DELETED that it caused.
      if (row.status === "disconnected") return row;
      return { ...withStatus(row, "disconnected", "disconnected by the user", at), disconnectedAt: at };
    default: {
      const unexpected: never = event;
      return unexpected;
    }
  }
}
