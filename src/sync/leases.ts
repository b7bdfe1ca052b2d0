/**
 * @module sync/leases
 * The sync's per-account lease in Postgres, one statement per operation. An
 * account is run by the instance that holds its lease; claiming skips rows
 * other instances are claiming at the same moment (FOR UPDATE SKIP LOCKED)
 * and takes over leases whose holder stopped renewing them (a crash). Times
 * are the database's, so replicas with drifting clocks agree.
 */
import type { Queryable } from "../db/client";

export interface Lease {
  unipileAccountId: string;
  owner: string | null;
  leaseExpiresAt: Date | null;
  nextRunAt: Date;
  failures: number;
  blockedUntil: Date | null;
  lastError: unknown;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
}

interface LeaseRow {
  unipile_account_id: string;
  owner: string | null;
  lease_expires_at: Date | null;
  next_run_at: Date;
  failures: number;
  blocked_until: Date | null;
  last_error: unknown;
  last_run_at: Date | null;
  last_success_at: Date | null;
}

const toLease = (r: LeaseRow): Lease => ({
  unipileAccountId: r.unipile_account_id,
  owner: r.owner,
  leaseExpiresAt: r.lease_expires_at,
  nextRunAt: r.next_run_at,
  failures: r.failures,
  blockedUntil: r.blocked_until,
  lastError: r.last_error,
  lastRunAt: r.last_run_at,
  lastSuccessAt: r.last_success_at,
});

/** Gives every connected, owned account a schedule row (due now); returns how many were new. */
export async function ensureLeases(sql: Queryable, unipileAccountIds?: readonly string[]): Promise<number> {
  const rows = await sql`
    insert into sync_leases (unipile_account_id)
    select unipile_account_id from accounts
    where status = 'connected' and user_id is not null
      ${unipileAccountIds ? sql`and unipile_account_id = any(${[...unipileAccountIds]})` : sql``}
    on conflict (unipile_account_id) do nothing
    returning 1
  `;
  return rows.length;
}

/** Claims up to `limit` connected accounts that are due and not held by a live lease. */
export async function claimDue(sql: Queryable, input: { owner: string; leaseMs: number; limit: number }): Promise<Lease[]> {
  if (input.limit <= 0) return [];
  const rows = await sql<LeaseRow[]>`
    with due as (
      select l.unipile_account_id from sync_leases l
      join accounts a on a.unipile_account_id = l.unipile_account_id
      where a.status = 'connected' and a.user_id is not null
        and l.next_run_at <= now()
        and (l.blocked_until is null or l.blocked_until <= now())
        and (l.owner is null or l.lease_expires_at < now())
      order by l.next_run_at
      limit ${input.limit}
      for update of l skip locked
    )
    update sync_leases l
    set owner = ${input.owner}, lease_expires_at = now() + ${input.leaseMs}::int * interval '1 millisecond',
        last_run_at = now(), updated_at = now()
    from due where l.unipile_account_id = due.unipile_account_id
    returning l.*
  `;
  return rows.map(toLease);
}

export type ClaimOutcome = { claimed: true; lease: Lease } | { claimed: false; lease: Lease | null };

/** Claims one account now, whatever its schedule (a manual sync), unless someone holds it or Unipile asked to wait. */
export async function claimAccount(sql: Queryable, input: { owner: string; leaseMs: number; unipileAccountId: string }): Promise<ClaimOutcome> {
  const rows = await sql<LeaseRow[]>`
    update sync_leases
    set owner = ${input.owner}, lease_expires_at = now() + ${input.leaseMs}::int * interval '1 millisecond',
        last_run_at = now(), updated_at = now()
    where unipile_account_id = ${input.unipileAccountId}
      and (owner is null or lease_expires_at < now())
      and (blocked_until is null or blocked_until <= now())
    returning *
  `;
  if (rows[0]) return { claimed: true, lease: toLease(rows[0]) };
  const [current] = await readLeases(sql, [input.unipileAccountId]);
  return { claimed: false, lease: current ?? null };
}

/** Extends a held lease; false when it is no longer ours (it expired and was taken over). */
export async function renewLease(sql: Queryable, input: { owner: string; leaseMs: number; unipileAccountId: string }): Promise<boolean> {
  const rows = await sql`
    update sync_leases set lease_expires_at = now() + ${input.leaseMs}::int * interval '1 millisecond', updated_at = now()
    where unipile_account_id = ${input.unipileAccountId} and owner = ${input.owner}
    returning 1
  `;
  return rows.length > 0;
}

export type RunOutcome =
  | { ok: true; nextRunInMs: number }
  | { ok: false; nextRunInMs: number; failures: number; error: unknown; blockedForMs?: number };

/** Gives the lease back with the account's next run; false when it was no longer ours. */
export async function releaseLease(sql: Queryable, input: { owner: string; unipileAccountId: string; outcome: RunOutcome }): Promise<boolean> {
  const { outcome } = input;
  const next = sql`now() + ${Math.max(0, Math.round(outcome.nextRunInMs))}::int * interval '1 millisecond'`;
  const rows = outcome.ok
    ? await sql`
        update sync_leases
        set owner = null, lease_expires_at = null, next_run_at = ${next}, failures = 0, blocked_until = null,
            last_error = null, last_success_at = now(), updated_at = now()
        where unipile_account_id = ${input.unipileAccountId} and owner = ${input.owner}
        returning 1
      `
    : await sql`
        update sync_leases
        set owner = null, lease_expires_at = null, next_run_at = ${next}, failures = ${outcome.failures},
            blocked_until = ${outcome.blockedForMs ? sql`now() + ${Math.round(outcome.blockedForMs)}::int * interval '1 millisecond'` : null},
            last_error = ${JSON.stringify(outcome.error ?? null)}::jsonb, updated_at = now()
        where unipile_account_id = ${input.unipileAccountId} and owner = ${input.owner}
        returning 1
      `;
  return rows.length > 0;
}

/** Moves accounts' next run to now (start-sync asks the loop to look at them at once). */
export async function makeDue(sql: Queryable, unipileAccountIds: readonly string[]): Promise<void> {
  if (unipileAccountIds.length === 0) return;
  await sql`
    update sync_leases set next_run_at = now(), updated_at = now()
    where unipile_account_id = any(${[...unipileAccountIds]}) and next_run_at > now() and failures = 0
  `;
}

export async function readLeases(sql: Queryable, unipileAccountIds: readonly string[]): Promise<Lease[]> {
  if (unipileAccountIds.length === 0) return [];
  const rows = await sql<LeaseRow[]>`select * from sync_leases where unipile_account_id = any(${[...unipileAccountIds]})`;
  return rows.map(toLease);
}
