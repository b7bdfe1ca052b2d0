/**
 * @module subscriptions
 * Webhook subscriptions: a user's server receives their events, signed
 * (Standard Webhooks), delivered from the log with a checkpoint per
 * subscription, retried with backoff, replayable with the same event ids.
 */
export { subscriptionsProjection } from "./projection";
export { subscriptionRoutes, type SubscriptionRoutesDeps } from "./routes";
export { createSubscriptionService, type SubscriptionService } from "./service";
export { createSubscriptionWorker, type DeliverySettings, type SubscriptionWorker } from "./worker";
export { deliveryLagSummary } from "./queries";
export { subscriptionDeliveries, subscriptionDeliveryState, subscriptionPending, subscriptionSecrets, subscriptions } from "./tables";
