/**
 * @module accounts
 * Linking WhatsApp accounts through Unipile: the account's events and pure
 * decider, the command service (connect, reconnect, disconnect, status
 * reports), the monitor that checks statuses, the projection's table and
 * queries, the API view and routes. Other folders import from here only.
 */
export type { AccountRow } from "./account-evolve";
export { type AccountRowFold, type AccountsProjection, createAccountsProjection } from "./accounts-projection";
export { accounts } from "./accounts-table";
export { ACCOUNT_EVENT_TYPES, accountStream } from "./events";
export { type AccountMonitor, createAccountMonitor } from "./monitor";
export { getAccountByUnipileId, getAccountForUser, listAccountsForUser } from "./queries";
export { accountRoutes } from "./routes";
export { type AccountsService, createAccountsService } from "./service";
export { AccountSchema, accountView } from "./views";
