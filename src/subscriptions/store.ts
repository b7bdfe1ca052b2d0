/**
 * @module subscriptions/store
 * The delivery state in Postgres, one statement per operation: checkpoints
 * (the gap-safe log pair), leases (one replica delivers a subscription; a
 * crashed one's are taken over when the lease expires), the queue of events
 * read and not yet delivered, attempts, and the secrets. Times are the
 * database's, so replicas with drifting clocks agree.
 */
import type { Queryable, Sql } from "../db/client";
import type { LogPosition } from "../event-store/event";
import type { SendResult } from "./send";
import type { WebhookPayload } from "./topics";

export interface DeliveryState {
  subscriptionId: string;
  checkpoint: LogPosition;
  owner: string | null;
  failures: number;
  failingSince: Date | null;
  nextAttemptAt: Date | null;
  lastError: string | null;
}

export interface PendingEvent {
  eventId: string;
  position: LogPosition;
  orderKey: string;
  topic: string;
  payload: WebhookPayload;
  attempts: number;
}

const ms = (sql: Queryable, value: number) => sql`${Math.max(0, Math.round(value))}::int * interval '1 millisecond'`;

/** Gives every subscription a delivery state, starting after its creation in the log. */
export async function ensureStates(sql: Queryable): Promise<void> {
  await sql`
    insert into subscription_delivery_state (subscription_id, checkpoint_transaction_id, checkpoint_position)
    select id, created_transaction_id::xid8, created_position from subscriptions
    on conflict (subscription_id) do nothing
  `;
}

/** Claims (or renews) the leases of enabled subscriptions nobody else holds; returns the ones this owner holds now. */
export async function claimLeases(sql: Queryable, input: { owner: string; leaseMs: number; limit: number }): Promise<string[]> {
  const rows = await sql<{ subscription_id: string }[]>`
    with mine as (
      select d.subscription_id from subscription_delivery_state d
      join subscriptions s on s.id = d.subscription_id
      where s.enabled and (d.owner is null or d.owner = ${input.owner} or d.lease_expires_at < now())
      order by (d.owner = ${input.owner}) desc nulls last, d.subscription_id
      limit ${input.limit}
      for update of d skip locked
    )
    update subscription_delivery_state d
    set owner = ${input.owner}, lease_expires_at = now() + ${ms(sql, input.leaseMs)}, updated_at = now()
    from mine where d.subscription_id = mine.subscription_id
    returning d.subscription_id
  `;
  return rows.map((r) => r.subscription_id);
}

export async function releaseLeases(sql: Queryable, owner: string): Promise<void> {
  await sql`update subscription_delivery_state set owner = null, lease_expires_at = null where owner = ${owner}`;
}

interface StateRow {
  subscription_id: string;
  xid: string;
  checkpoint_position: number;
  owner: string | null;
  failures: number;
  failing_since: Date | null;
  next_attempt_at: Date | null;
  last_error: string | null;
}

export async function readState(sql: Queryable, subscriptionId: string): Promise<DeliveryState | null> {
  const [r] = await sql<StateRow[]>`
    select *, checkpoint_transaction_id::text as xid from subscription_delivery_state where subscription_id = ${subscriptionId}
  `;
  if (!r) return null;
  return {
    subscriptionId: r.subscription_id,
    checkpoint: { transactionId: r.xid, globalPosition: r.checkpoint_position },
    owner: r.owner,
    failures: r.failures,
    failingSince: r.failing_since,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
  };
}

/**
 * Queues what a read of the log found and moves the checkpoint, in one
 * transaction; false when the checkpoint moved meanwhile (a replay), and then
 * nothing is written.
 */
export async function enqueue(sql: Sql, subscriptionId: string, from: LogPosition, to: LogPosition, events: readonly PendingEvent[]): Promise<boolean> {
  return sql.begin(async (tx) => {
    const moved = await tx`
      update subscription_delivery_state
      set checkpoint_transaction_id = ${to.transactionId}::xid8, checkpoint_position = ${to.globalPosition}, updated_at = now()
      where subscription_id = ${subscriptionId}
        and checkpoint_transaction_id = ${from.transactionId}::xid8 and checkpoint_position = ${from.globalPosition}
      returning 1
    `;
    if (moved.length === 0) return false;
    if (events.length > 0) {
      const rows = events.map((e) => ({
        subscription_id: subscriptionId,
        event_id: e.eventId,
        transaction_id: e.position.transactionId,
        global_position: e.position.globalPosition,
        order_key: e.orderKey,
        topic: e.topic,
        payload: e.payload,
      }));
      await tx`
        insert into subscription_pending (subscription_id, event_id, transaction_id, global_position, order_key, topic, payload)
        select r.subscription_id, r.event_id, r.transaction_id::xid8, r.global_position, r.order_key, r.topic, r.payload
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as r(subscription_id text, event_id text, transaction_id text, global_position bigint, order_key text, topic text, payload jsonb)
        on conflict (subscription_id, event_id) do nothing
      `;
    }
    return true;
  });
}

export async function pendingCount(sql: Queryable, subscriptionId: string): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from subscription_pending where subscription_id = ${subscriptionId}`;
  return r?.n ?? 0;
}

/** The oldest queued event of each order key (the only ones that may go now), in log order. */
export async function queueHeads(sql: Queryable, subscriptionId: string, limit: number): Promise<PendingEvent[]> {
  const rows = await sql<{ event_id: string; xid: string; global_position: number; order_key: string; topic: string; payload: WebhookPayload; attempts: number }[]>`
    select * from (
      select distinct on (order_key) event_id, transaction_id, transaction_id::text as xid, global_position, order_key, topic, payload, attempts
      from subscription_pending where subscription_id = ${subscriptionId}
      order by order_key, transaction_id, global_position
    ) heads order by transaction_id, global_position limit ${limit}
  `;
  return rows.map((r) => ({
    eventId: r.event_id,
    position: { transactionId: r.xid, globalPosition: r.global_position },
    orderKey: r.order_key,
    topic: r.topic,
    payload: r.payload,
    attempts: r.attempts,
  }));
}

/** A 2xx: the event leaves the queue, the attempt is logged, the failure count is reset. */
export async function recordDelivered(sql: Queryable, subscriptionId: string, event: PendingEvent, result: SendResult, replica: string): Promise<void> {
  await sql`
    with gone as (delete from subscription_pending where subscription_id = ${subscriptionId} and event_id = ${event.eventId} returning 1),
    logged as (
      insert into subscription_deliveries (subscription_id, event_id, topic, attempt, outcome, status_code, duration_ms, error, replica)
      values (${subscriptionId}, ${event.eventId}, ${event.topic}, ${event.attempts + 1}, 'delivered', ${result.statusCode}, ${result.durationMs}, null, ${replica})
      returning 1
    )
    update subscription_delivery_state
    set failures = 0, failing_since = null, next_attempt_at = null, last_error = null, updated_at = now()
    where subscription_id = ${subscriptionId}
  `;
}

/** A failure: logged, counted, and the subscription waits `delayMs`. Returns the count and since when it fails. */
export async function recordFailed(
  sql: Queryable,
  subscriptionId: string,
  event: PendingEvent,
  result: SendResult,
  input: { replica: string; delayMs: number },
): Promise<{ failures: number; failingSince: Date }> {
  const [row] = await sql<{ failures: number; failing_since: Date }[]>`
    with bumped as (
      update subscription_pending set attempts = attempts + 1 where subscription_id = ${subscriptionId} and event_id = ${event.eventId} returning 1
    ),
    logged as (
      insert into subscription_deliveries (subscription_id, event_id, topic, attempt, outcome, status_code, duration_ms, error, replica)
      values (${subscriptionId}, ${event.eventId}, ${event.topic}, ${event.attempts + 1}, 'failed', ${result.statusCode}, ${result.durationMs}, ${result.error}, ${input.replica})
      returning 1
    )
    update subscription_delivery_state
    set failures = failures + 1, failing_since = coalesce(failing_since, now()), last_error = ${result.error},
        next_attempt_at = now() + ${ms(sql, input.delayMs)}, updated_at = now()
    where subscription_id = ${subscriptionId}
    returning failures, failing_since
  `;
  return { failures: row?.failures ?? 1, failingSince: row?.failing_since ?? new Date() };
}

/** Logs an attempt outside the queue (the test ping). */
export async function logAttempt(sql: Queryable, subscriptionId: string, eventId: string, topic: string, result: SendResult, replica: string): Promise<void> {
  await sql`
    insert into subscription_deliveries (subscription_id, event_id, topic, attempt, outcome, status_code, duration_ms, error, replica)
    values (${subscriptionId}, ${eventId}, ${topic}, 1, ${result.ok ? "delivered" : "failed"}, ${result.statusCode}, ${result.durationMs}, ${result.error}, ${replica})
  `;
}

/** Moves the checkpoint back (a replay); queued events stay queued, once each. */
export async function rewind(sql: Queryable, subscriptionId: string, position: LogPosition): Promise<void> {
  await sql`
    insert into subscription_delivery_state (subscription_id, checkpoint_transaction_id, checkpoint_position)
    values (${subscriptionId}, ${position.transactionId}::xid8, ${position.globalPosition})
    on conflict (subscription_id) do update
    set checkpoint_transaction_id = excluded.checkpoint_transaction_id, checkpoint_position = excluded.checkpoint_position,
        next_attempt_at = null, updated_at = now()
  `;
}

/** The secrets a delivery is signed with now: the current one, and an older one inside its overlap. */
export async function validSecrets(sql: Queryable, subscriptionId: string): Promise<string[]> {
  const rows = await sql<{ secret: string }[]>`
    select secret from subscription_secrets
    where subscription_id = ${subscriptionId} and (expires_at is null or expires_at > now())
    order by version desc
  `;
  return rows.map((r) => r.secret);
}

export async function storeSecret(sql: Queryable, input: { subscriptionId: string; version: number; secret: string; previousValidForMs?: number }): Promise<void> {
  if (input.previousValidForMs !== undefined) {
    await sql`
      update subscription_secrets set expires_at = now() + ${ms(sql, input.previousValidForMs)}
      where subscription_id = ${input.subscriptionId} and version < ${input.version} and (expires_at is null or expires_at > now())
    `;
  }
  await sql`
    insert into subscription_secrets (subscription_id, version, secret) values (${input.subscriptionId}, ${input.version}, ${input.secret})
    on conflict (subscription_id, version) do update set secret = excluded.secret
  `;
}

/** Forgets everything operational about a deleted subscription. */
export async function dropDeliveryState(sql: Sql, subscriptionId: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from subscription_pending where subscription_id = ${subscriptionId}`;
    await tx`delete from subscription_delivery_state where subscription_id = ${subscriptionId}`;
    await tx`delete from subscription_secrets where subscription_id = ${subscriptionId}`;
  });
}
