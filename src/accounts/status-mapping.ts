/**
 * @module accounts/status-mapping
 * Unipile's status words → our account status. Covers every AccountStatus
 * message and every `sources[].status` in ../shared/unipile-api.md. Pure.
 */

export const ACCOUNT_STATUSES = [
  "pending",
  "connecting",
  "connected",
  "credentials_required",
  "permissions_required",
  "error",
  "stopped",
  "failed",
  "expired",
  "disconnected",
  "deleted",
] as const;

export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

const FROM_UNIPILE: Record<string, AccountStatus> = {
  OK: "connected",
  CREATION_SUCCESS: "connected",
  RECONNECTED: "connected",
  SYNC_SUCCESS: "connected",
  CONNECTING: "connecting",
  CREDENTIALS: "credentials_required",
  PERMISSIONS: "permissions_required",
  ERROR: "error",
  STOPPED: "stopped",
  CREATION_FAIL: "failed",
  DELETED: "deleted",
};

/** Our status for a Unipile status word; `null` for a word we do not know (the status is kept). */
export function statusFromUnipile(unipileStatus: string): AccountStatus | null {
  return FROM_UNIPILE[unipileStatus.toUpperCase()] ?? null;
}

/** The statuses from which a new QR code (reconnect) may be asked for. */
export const RECONNECTABLE: readonly AccountStatus[] = [
  "pending",
  "expired",
  "connecting",
  "credentials_required",
  "permissions_required",
  "error",
  "stopped",
  "failed",
];

/** The statuses that end an account for good: nothing Unipile says moves it again. */
export const TERMINAL: readonly AccountStatus[] = ["disconnected", "deleted"];

/** The table of the README, generated from the mapping so the two cannot drift. */
export const UNIPILE_STATUS_TABLE = Object.entries(FROM_UNIPILE);
