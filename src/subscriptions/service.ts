/**
 * @module subscriptions/service
 * Subscription commands: each is an event on the subscription's stream
 * (read → fold → check → append at the read version), then the projection is
 * awaited so the answer shows the change. Secrets go to their own table,
 * never to the log. A user only ever reaches their own subscriptions.
 */
import type { Sql } from "../db/client";
import { commandMetadata, type EventStore, systemMetadata } from "../event-store";
import type { EventMetadata, LogPosition, RecordedEvent } from "../event-store/event";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import { err, ok } from "../lib/result";
import type { ProjectionRunner } from "../projections/runner";
import { isSubscriptionEvent, type SubscriptionEvent, type SubscriptionSettings, subscriptionStream } from "./events";
import { newSigningSecret } from "./signing";
import { dropDeliveryState, ensureStates, storeSecret } from "./store";
import { evolveSubscription, type SubscriptionRow } from "./subscription-evolve";

export interface Actor {
  userId: string;
  requestId?: string;
}

export interface SubscriptionServiceDeps {
  sql: Sql;
  eventStore: EventStore;
  runner: ProjectionRunner;
  clock: Clock;
  ids: IdGenerator;
  /** How long the previous secret stays valid after a rotation. */
  secretOverlapMs: number;
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;

const positionOf = (e: RecordedEvent): LogPosition => ({ transactionId: e.transactionId, globalPosition: e.globalPosition });

const metadata = (clock: Clock, actor: Actor | "system"): EventMetadata =>
  actor === "system" ? systemMetadata("system", clock) : commandMetadata(actor, clock);

async function load(eventStore: EventStore, subscriptionId: string) {
  const streamId = subscriptionStream(subscriptionId);
  const events = await eventStore.readStream(streamId);
  let row: SubscriptionRow | null = null;
  for (const e of events) if (isSubscriptionEvent(e)) row = evolveSubscription(row, e as unknown as SubscriptionEvent, positionOf(e));
  return { row, version: events.length, streamId };
}

/**
 * Appends what `decide` returns for the current row (event-store's command handler: again after a
 * concurrent write); null when the subscription is not the actor's (or gone).
 */
async function handle(
  deps: SubscriptionServiceDeps,
  subscriptionId: string,
  actor: Actor | "system",
  decide: (row: SubscriptionRow) => SubscriptionEvent[],
): Promise<SubscriptionRow | null> {
  const handled = await deps.eventStore.handle<SubscriptionRow | null, SubscriptionEvent, null>({
    streamId: subscriptionStream(subscriptionId),
    initial: null,
    // The row keeps each event's log position: events just appended (without one) are read back below.
    evolve: (row, e) => (isSubscriptionEvent(e) && "globalPosition" in e ? evolveSubscription(row, e, positionOf(e as unknown as RecordedEvent)) : row),
    decide: (row) => (!row || (actor !== "system" && row.userId !== actor.userId) ? err(null) : ok(decide(row))),
    metadata: metadata(deps.clock, actor),
  });
  if (!handled.ok) return null;
  if (!handled.value.position) return handled.value.state;
  await deps.runner.waitFor(handled.value.position);
  return (await load(deps.eventStore, subscriptionId)).row ?? handled.value.state;
}

async function create(deps: SubscriptionServiceDeps, actor: Actor, settings: SubscriptionSettings): Promise<{ subscription: SubscriptionRow; secret: string }> {
  const subscriptionId = deps.ids.uuid();
  const secret = newSigningSecret();
  await storeSecret(deps.sql, { subscriptionId, version: 1, secret });
  const event: SubscriptionEvent = {
    type: "SubscriptionCreated",
    data: { ...settings, subscriptionId, userId: actor.userId, secretVersion: 1, at: deps.clock.now().toISOString() },
  };
  const appended = await deps.eventStore.appendToStream(subscriptionStream(subscriptionId), [{ ...event, metadata: metadata(deps.clock, actor) }], { expectedVersion: 0 });
  if (!appended.ok) throw new Error(`subscription creation failed: ${appended.error.code}`);
  await deps.runner.waitFor({ transactionId: appended.value.transactionId, globalPosition: appended.value.globalPositions[0] ?? 0 });
  await ensureStates(deps.sql);
  const { row } = await load(deps.eventStore, subscriptionId);
  if (!row) throw new Error("subscription creation was not recorded");
  return { subscription: row, secret };
}

async function update(deps: SubscriptionServiceDeps, actor: Actor, subscriptionId: string, changes: Partial<SubscriptionSettings>): Promise<SubscriptionRow | null> {
  const updated = await handle(deps, subscriptionId, actor, () => [
    { type: "SubscriptionUpdated", data: { ...changes, subscriptionId, at: deps.clock.now().toISOString() } },
  ]);
  if (updated && changes.enabled === true) {
    await deps.sql`update subscription_delivery_state set failures = 0, failing_since = null, next_attempt_at = null where subscription_id = ${subscriptionId}`;
  }
  return updated;
}

async function rotateSecret(
  deps: SubscriptionServiceDeps,
  actor: Actor,
  subscriptionId: string,
): Promise<{ subscription: SubscriptionRow; secret: string; previousValidUntil: string } | null> {
  const { clock } = deps;
  const { row } = await load(deps.eventStore, subscriptionId);
  if (!row || row.userId !== actor.userId) return null;
  const version = row.secretVersion + 1;
  const secret = newSigningSecret();
  const previousValidUntil = new Date(clock.now().getTime() + deps.secretOverlapMs).toISOString();
  await storeSecret(deps.sql, { subscriptionId, version, secret, previousValidForMs: deps.secretOverlapMs });
  const rotated = await handle(deps, subscriptionId, actor, () => [
    { type: "SubscriptionSecretRotated", data: { subscriptionId, secretVersion: version, previousValidUntil, at: clock.now().toISOString() } },
  ]);
  return rotated ? { subscription: rotated, secret, previousValidUntil } : null;
}

async function remove(deps: SubscriptionServiceDeps, actor: Actor, subscriptionId: string): Promise<boolean> {
  const deleted = await handle(deps, subscriptionId, actor, () => [{ type: "SubscriptionDeleted", data: { subscriptionId, at: deps.clock.now().toISOString() } }]);
  if (!deleted) return false;
  await dropDeliveryState(deps.sql, subscriptionId);
  return true;
}

export function createSubscriptionService(deps: SubscriptionServiceDeps) {
  return {
    create(actor: Actor, settings: SubscriptionSettings): Promise<{ subscription: SubscriptionRow; secret: string }> {
      return create(deps, actor, settings);
    },

    update(actor: Actor, subscriptionId: string, changes: Partial<SubscriptionSettings>): Promise<SubscriptionRow | null> {
      return update(deps, actor, subscriptionId, changes);
    },

    /** A new current secret; the previous one stays valid for the overlap. */
    rotateSecret(actor: Actor, subscriptionId: string): Promise<{ subscription: SubscriptionRow; secret: string; previousValidUntil: string } | null> {
      return rotateSecret(deps, actor, subscriptionId);
    },

    delete(actor: Actor, subscriptionId: string): Promise<boolean> {
      return remove(deps, actor, subscriptionId);
    },

    /** The delivery worker gives up on a subscription: recorded with the reason. */
    async disable(subscriptionId: string, input: { reason: string; failures: number; lastError: string | null }): Promise<void> {
      await handle(deps, subscriptionId, "system", (row) =>
        row.enabled ? [{ type: "SubscriptionDisabled", data: { subscriptionId, ...input, at: deps.clock.now().toISOString() } }] : [],
      );
    },
  };
}
