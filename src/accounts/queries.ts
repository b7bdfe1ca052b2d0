/**
 * @module accounts/queries
 * Reads of the accounts projection. A user only ever sees rows they own.
 */
import type { Queryable } from "../db/client";
import type { AccountRow } from "./account-evolve";
import type { AccountStatus } from "./status-mapping";

interface RawRow {
  unipile_account_id: string;
  id: string | null;
  user_id: string | null;
  provider: "whatsapp";
  status: AccountStatus;
  unipile_status: string | null;
  status_reason: string | null;
  connection_method: string | null;
  phone_number: string | null;
  name: string | null;
  qr_expires_at: Date | null;
  created_at: Date | null;
  updated_at: Date;
  status_changed_at: Date | null;
  connected_at: Date | null;
  last_sync: Date | null;
  disconnected_at: Date | null;
}

const toRow = (r: RawRow): AccountRow => ({
  unipileAccountId: r.unipile_account_id,
  id: r.id,
  userId: r.user_id,
  provider: r.provider,
  status: r.status,
  unipileStatus: r.unipile_status,
  statusReason: r.status_reason,
  connectionMethod: r.connection_method,
  phoneNumber: r.phone_number,
  name: r.name,
  qrExpiresAt: r.qr_expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  statusChangedAt: r.status_changed_at,
  connectedAt: r.connected_at,
  lastSync: r.last_sync,
  disconnectedAt: r.disconnected_at,
});

export async function getAccountForUser(sql: Queryable, accountId: string, userId: string): Promise<AccountRow | null> {
  const rows = await sql<RawRow[]>`select * from accounts where id = ${accountId} and user_id = ${userId}`;
  return rows[0] ? toRow(rows[0]) : null;
}

export async function listAccountsForUser(sql: Queryable, userId: string): Promise<AccountRow[]> {
  const rows = await sql<RawRow[]>`select * from accounts where user_id = ${userId} order by created_at desc, id`;
  return rows.map(toRow);
}

/** Connection attempts whose QR code is past its time. */
export async function listExpiredAttempts(sql: Queryable, now: Date, limit = 100): Promise<AccountRow[]> {
  const rows = await sql<RawRow[]>`
    select * from accounts where status = 'pending' and qr_expires_at <= ${now} order by qr_expires_at limit ${limit}
  `;
  return rows.map(toRow);
}

/** Owned accounts Unipile still knows, for the periodic status check. */
export async function listAccountsToCheck(sql: Queryable, limit = 500): Promise<AccountRow[]> {
  const rows = await sql<RawRow[]>`
    select * from accounts
    where user_id is not null and status not in ('disconnected', 'deleted', 'expired', 'pending')
    order by updated_at limit ${limit}
  `;
  return rows.map(toRow);
}

export async function getAccountByUnipileId(sql: Queryable, unipileAccountId: string): Promise<AccountRow | null> {
  const rows = await sql<RawRow[]>`select * from accounts where unipile_account_id = ${unipileAccountId}`;
  return rows[0] ? toRow(rows[0]) : null;
}
