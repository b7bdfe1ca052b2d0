/**
 * @module accounts/accounts-projection
 * One row per Unipile account, folded from the account streams, the sync's
 * streams (progress, position, gaps) and the messages the sync brought
 * (`UnipileMessageObserved` from a poll or a backfill, counted).
 */
import type { RecordedEvent } from "../event-store/event";
import { defineRowProjection } from "../projections/row-projection";
import { isSyncEvent, SYNC_EVENT_TYPES, type SyncEvent } from "../sync/events";
import { evolveAccount } from "./account-evolve";
import { countObservedMessage, evolveAccountSync, type ObservedMessage } from "../sync/account-sync-evolve";
import { makeAccountsTable } from "./accounts-table";
import { ACCOUNT_EVENT_TYPES, type AccountEvent, isAccountEvent } from "./events";

const OBSERVED_MESSAGE = "UnipileMessageObserved";

const unipileAccountOf = (event: RecordedEvent) => (event.data as { unipileAccountId?: unknown }).unipileAccountId;

export const accountsProjection = defineRowProjection({
  name: "accounts",
  version: 2,
  eventTypes: [...ACCOUNT_EVENT_TYPES, ...SYNC_EVENT_TYPES, OBSERVED_MESSAGE],
  table: { name: "accounts", make: makeAccountsTable, key: (t) => t.unipileAccountId },
  keysOf: (event) => {
    const id = unipileAccountOf(event);
    return typeof id === "string" ? [id] : [];
  },
  evolve: (row, event) => {
    if (isAccountEvent(event)) return evolveAccount(row, event as unknown as AccountEvent);
    if (isSyncEvent(event)) return evolveAccountSync(row, event as unknown as SyncEvent);
    if (event.type === OBSERVED_MESSAGE) return countObservedMessage(row, event as unknown as ObservedMessage);
    return row;
  },
});
