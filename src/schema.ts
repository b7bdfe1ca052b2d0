/**
 * @module schema
 * Every table of the service, for drizzle-kit (migrations) and drizzle queries.
 */
export { events, streams } from "./event-store/schema";
export { projectionCheckpoints } from "./projections/schema";
export { accounts } from "./accounts/accounts-table";
export { conversations, messages, messagingAccounts } from "./conversations/tables";
export { syncLeases } from "./sync/leases-table";
export { sendPacing } from "./sends/pacing-table";
export { subscriptionDeliveries, subscriptionDeliveryState, subscriptionPending, subscriptions, subscriptionSecrets } from "./subscriptions/tables";
