/**
 * @module subscriptions/projection
 * One row per live subscription, folded from the subscription streams.
 */
import { defineRowProjection } from "../projections/row-projection";
import { isSubscriptionEvent, SUBSCRIPTION_EVENT_TYPES, type SubscriptionEvent } from "./events";
import { evolveSubscription, type SubscriptionRow } from "./subscription-evolve";
import { makeSubscriptionsTable } from "./tables";

export const subscriptionsProjection = defineRowProjection({
  name: "subscriptions",
  version: 1,
  eventTypes: SUBSCRIPTION_EVENT_TYPES,
  table: { name: "subscriptions", make: makeSubscriptionsTable, key: (t) => t.id },
  keysOf: (event) => {
    const id = (event.data as { subscriptionId?: unknown }).subscriptionId;
    return typeof id === "string" ? [id] : [];
  },
  evolve: (row: SubscriptionRow | null, event) =>
    isSubscriptionEvent(event) ? evolveSubscription(row, event as unknown as SubscriptionEvent, event) : row,
});
