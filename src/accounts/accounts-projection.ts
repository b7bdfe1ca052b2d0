/**
 * @module accounts/accounts-projection
 * One row per Unipile account, folded from the account streams.
 */
import { defineRowProjection } from "../projections/row-projection";
import { evolveAccount } from "./account-evolve";
import { makeAccountsTable } from "./accounts-table";
import { ACCOUNT_EVENT_TYPES, type AccountEvent, isAccountEvent } from "./events";

export const accountsProjection = defineRowProjection({
  name: "accounts",
  version: 1,
  eventTypes: ACCOUNT_EVENT_TYPES,
  table: { name: "accounts", make: makeAccountsTable, key: (t) => t.unipileAccountId },
  keysOf: (event) => (isAccountEvent(event) ? [(event.data as AccountEvent["data"]).unipileAccountId] : []),
  evolve: (row, event) => (isAccountEvent(event) ? evolveAccount(row, event as unknown as AccountEvent) : row),
});
