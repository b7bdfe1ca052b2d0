/**
 * @module accounts/accounts-projection
 * One row per Unipile account, folded from the account streams and from the
 * events of other folders that change the row: the sync's progress, position
 * and gaps, and the messages it brought (sync/account-sync-evolve.ts). Those
 * folds are given by the composition root (deps.ts), so accounts imports no
 * folder above it.
 */
import type { RecordedEvent } from "../event-store/event";
import { defineRowProjection, type RowProjection } from "../projections/row-projection";
import { type AccountRow, evolveAccount } from "./account-evolve";
import { makeAccountsTable } from "./accounts-table";
import { ACCOUNT_EVENT_TYPES, type AccountEvent, isAccountEvent } from "./events";

/** Another folder's events that change the account row. Pure. */
export interface AccountRowFold {
  eventTypes: readonly string[];
  /** The row after the event (`row` itself when nothing changes). */
  evolve(row: AccountRow | null, event: RecordedEvent): AccountRow | null;
}

export type AccountsProjection = RowProjection<AccountRow>;

const unipileAccountOf = (event: RecordedEvent) => (event.data as { unipileAccountId?: unknown }).unipileAccountId;

export function createAccountsProjection(folds: readonly AccountRowFold[]): AccountsProjection {
  const foldOf = new Map<string, AccountRowFold>();
  for (const fold of folds) for (const type of fold.eventTypes) foldOf.set(type, fold);
  return defineRowProjection({
    name: "accounts",
    version: 2,
    eventTypes: [...ACCOUNT_EVENT_TYPES, ...foldOf.keys()],
    table: { name: "accounts", make: makeAccountsTable, key: (t) => t.unipileAccountId },
    keysOf: (event) => {
      const id = unipileAccountOf(event);
      return typeof id === "string" ? [id] : [];
    },
    evolve: (row, event) => {
      if (isAccountEvent(event)) return evolveAccount(row, event as unknown as AccountEvent);
      return foldOf.get(event.type)?.evolve(row, event) ?? row;
    },
  });
}
