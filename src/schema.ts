/**
 * @module schema
 * Every table of the service, for drizzle-kit (migrations) and drizzle queries.
 */
export { events, streams } from "./event-store/schema";
export { projectionCheckpoints } from "./projections/schema";
export { accounts } from "./accounts";
export { conversations, messages, messagingAccounts } from "./conversations";
export { syncLeases } from "./sync";
export { sendPacing } from "./sends";
export { subscriptionDeliveries, subscriptionDeliveryState, subscriptionPending, subscriptions, subscriptionSecrets } from "./subscriptions";
