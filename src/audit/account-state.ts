/**
 * @module audit/account-state
 * What the accounts projection held for one account at a past point, rebuilt
 * from the log with the projection's own pure fold (the accounts projection's `fold`:
 * `evolveAccount` for the account's events, and whatever else the projection
 * folds into the row), over the events the projection would have given that
 * row, in log order. No stored snapshot is trusted: the answer is what the log
 * proves, and it stays right when the projection learns new event types.
 */
import type { AccountRow } from "../accounts";
import type { AccountsProjection } from "../accounts";
import type { Queryable } from "../db/client";
import { type EventFilter, LOG_START, type LogPosition, readAll, type RecordedEvent } from "../event-store";
import type { RowFold } from "../projections";
import type { StatePoint } from "./schemas";

export interface AccountStateAt {
  row: AccountRow;
  /** The last event applied to the row. */
  last: RecordedEvent;
}

interface Folded {
  row: AccountRow | null;
  last: RecordedEvent | null;
}

/** Folds events into the row keyed `key`, as the projection does. Pure. */
export function foldRow(fold: RowFold<AccountRow>, key: string, state: Folded, events: readonly RecordedEvent[]): Folded {
  let { row, last } = state;
  for (const event of events) {
    if (!fold.keysOf(event).includes(key)) continue;
    row = fold.evolve(row, event, key);
    last = event;
  }
  return { row, last };
}

/**
 * The projection keys account rows by `data.unipileAccountId`; that field
 * narrows the read in SQL (an index serves it), the fold's own `keysOf`
 * decides in memory.
 */
function filterFor(projection: AccountsProjection, unipileAccountId: string, point: StatePoint | undefined): EventFilter {
  return {
    types: projection.eventTypes,
    anyOf: [{ data: { key: "unipileAccountId", value: unipileAccountId } }],
    ...(point && "time" in point ? { recordedTo: point.time } : {}),
    ...(point && "position" in point ? { maxGlobalPosition: point.position } : {}),
  };
}

/**
 * The account as of `point` (a time: events recorded at or before it; a
 * position: events at or below it; none: every visible event). Null when no
 * event of the account is in the log by then.
 */
export async function accountStateAt(sql: Queryable, projection: AccountsProjection, unipileAccountId: string, point?: StatePoint): Promise<AccountStateAt | null> {
  const filter = filterFor(projection, unipileAccountId, point);
  let state: Folded = { row: null, last: null };
  let after: LogPosition = LOG_START;
  for (;;) {
    const page = await readAll(sql, { ...filter, after, limit: 1000 });
    state = foldRow(projection.fold, unipileAccountId, state, page.events);
    after = page.position;
    if (page.caughtUp) break;
  }
  return state.row && state.last ? { row: state.row, last: state.last } : null;
}
