/**
 * @module projections/registry
 * Every projection the service runs, replays and verifies.
 */
import { accountsProjection } from "../accounts/accounts-projection";
import { messagingProjection } from "../messaging/messaging-projection";
import { subscriptionsProjection } from "../subscriptions/projection";
import type { Projection } from "./projection";

export function allProjections(): Projection[] {
  return [accountsProjection, messagingProjection, subscriptionsProjection];
}
