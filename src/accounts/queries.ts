/**
 * @module accounts/queries
 * Reads of the accounts projection. A user only ever sees rows they own.
 */
import type { Queryable } from "../db/client";
import { createRowMapper } from "../projections/row-projection";
import type { AccountRow } from "./account-evolve";
import { accounts } from "./accounts-table";

const mapper = createRowMapper(accounts);
const toRow = (raw: Record<string, unknown>): AccountRow => mapper.fromDb(raw);
type RawRow = Record<string, unknown>;

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
