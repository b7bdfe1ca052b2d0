/**
 * @module subscriptions/queries
 * Reads of the subscriptions projection and of the delivery records. A user
 * only ever sees their own subscriptions.
 */
import type { Queryable } from "../db/client";
import { createRowMapper } from "../projections/row-projection";
import type { SubscriptionRow } from "./subscription-evolve";
import { subscriptions } from "./tables";

const mapper = createRowMapper(subscriptions);
type Raw = Record<string, unknown>;

export async function getSubscription(sql: Queryable, id: string): Promise<SubscriptionRow | null> {
  const rows = await sql<Raw[]>`select * from subscriptions where id = ${id}`;
  return rows[0] ? mapper.fromDb(rows[0]) : null;
}

export async function getSubscriptionForUser(sql: Queryable, id: string, userId: string): Promise<SubscriptionRow | null> {
  const rows = await sql<Raw[]>`select * from subscriptions where id = ${id} and user_id = ${userId}`;
  return rows[0] ? mapper.fromDb(rows[0]) : null;
}

export async function listSubscriptionsForUser(sql: Queryable, userId: string): Promise<SubscriptionRow[]> {
  const rows = await sql<Raw[]>`select * from subscriptions where user_id = ${userId} order by created_at, id`;
  return rows.map((r) => mapper.fromDb(r));
}

export interface DeliveryStatus {
  checkpoint: string | null;
  pending: number;
  /** Age of the oldest event not yet delivered (0 when none). */
  lagMs: number;
  failures: number;
  failingSince: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
}

export async function deliveryStatus(sql: Queryable, subscriptionId: string): Promise<DeliveryStatus> {
  const [r] = await sql<{ xid: string | null; pos: number | null; pending: number; oldest: Date | null; failures: number | null; failing_since: Date | null; next_attempt_at: Date | null; last_error: string | null; now: Date }[]>`
    select d.checkpoint_transaction_id::text as xid, d.checkpoint_position as pos, d.failures, d.failing_since, d.next_attempt_at, d.last_error,
           (select count(*)::int from subscription_pending p where p.subscription_id = ${subscriptionId}) as pending,
           (select min((p.payload->>'occurredAt')::timestamptz) from subscription_pending p where p.subscription_id = ${subscriptionId}) as oldest,
           now() as now
    from (select 1) one left join subscription_delivery_state d on d.subscription_id = ${subscriptionId}
  `;
  return {
    checkpoint: r?.xid ? `${r.xid}-${r.pos}` : null,
    pending: r?.pending ?? 0,
    lagMs: r?.oldest ? Math.max(0, r.now.getTime() - r.oldest.getTime()) : 0,
    failures: r?.failures ?? 0,
    failingSince: r?.failing_since?.toISOString() ?? null,
    nextAttemptAt: r?.next_attempt_at?.toISOString() ?? null,
    lastError: r?.last_error ?? null,
  };
}

/** Every enabled subscription's lag, for /ready. */
export async function deliveryLagSummary(sql: Queryable) {
  const rows = await sql<{ id: string; pending: number; lag_ms: number; failures: number }[]>`
    select s.id, count(p.event_id)::int as pending,
           coalesce(extract(epoch from now() - min((p.payload->>'occurredAt')::timestamptz)) * 1000, 0)::int as lag_ms,
           coalesce(max(d.failures), 0)::int as failures
    from subscriptions s
    left join subscription_pending p on p.subscription_id = s.id
    left join subscription_delivery_state d on d.subscription_id = s.id
    where s.enabled group by s.id order by lag_ms desc limit 100
  `;
  return rows.map((r) => ({ subscriptionId: r.id, pendingEvents: r.pending, lagMs: r.lag_ms, failures: r.failures }));
}

export interface DeliveryRecord {
  id: number;
  eventId: string;
  type: string;
  attempt: number;
  status: "delivered" | "failed";
  responseCode: number | null;
  durationMs: number;
  error: string | null;
  at: string;
}

/** Attempts, newest first, before an attempt id (paging). */
export async function listDeliveries(sql: Queryable, subscriptionId: string, options: { limit: number; before?: number }): Promise<DeliveryRecord[]> {
  const rows = await sql<{ id: number; event_id: string; topic: string; attempt: number; outcome: "delivered" | "failed"; status_code: number | null; duration_ms: number; error: string | null; at: Date }[]>`
    select * from subscription_deliveries
    where subscription_id = ${subscriptionId} ${options.before ? sql`and id < ${options.before}` : sql``}
    order by id desc limit ${options.limit}
  `;
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    type: r.topic,
    attempt: r.attempt,
    status: r.outcome,
    responseCode: r.status_code,
    durationMs: r.duration_ms,
    error: r.error,
    at: r.at.toISOString(),
  }));
}
