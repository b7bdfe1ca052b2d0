/**
 * @module audit/event-query
 * From an auditor's filters to a gap-safe read of the log. Pages come from
 * `readAll` (events of transactions older than `pg_snapshot_xmin`, in
 * `(transaction_id, global_position)` order, keyset by that pair), so paging
 * while events are appended serves each event exactly once, and nothing uses
 * OFFSET.
 */
import { accountStream } from "../accounts";
import type { Queryable } from "../db/client";
import { type EventFilter, type EventMatch, LOG_START, type LogPosition, readAll } from "../event-store";
import { resolveUnipileAccountId } from "./account-ref";
import { encodeLogCursor } from "./cursor";
import { type AuditEvent, toAuditEvent } from "./event-view";
import type { EventFilterInput } from "./schemas";

/**
 * The alternatives an event may match. An account is its own stream plus
 * every event whose data names it (messaging facts carry
 * `data.unipileAccountId`); with a stream as well, only what lies on that
 * stream.
 */
export function eventMatches(streamId: string | undefined, unipileAccountId: string | undefined): EventMatch[] {
  if (unipileAccountId === undefined) return streamId === undefined ? [] : [{ streamId }];
  const ofAccount: EventMatch[] = [{ streamId: accountStream(unipileAccountId) }, { data: { key: "unipileAccountId", value: unipileAccountId } }];
  if (streamId === undefined) return ofAccount;
  return ofAccount.filter((m) => m.streamId === undefined || m.streamId === streamId).map((m) => ({ ...m, streamId }));
}

/** The auditor's filters as a log filter (looks the account up when one is named). */
export async function toEventFilter(sql: Queryable, input: EventFilterInput): Promise<EventFilter> {
  const unipileAccountId = input.accountId === undefined ? undefined : await resolveUnipileAccountId(sql, input.accountId);
  return {
    types: input.type,
    anyOf: eventMatches(input.streamId, unipileAccountId),
    recordedFrom: input.from,
    recordedTo: input.to,
  };
}

export interface EventPage {
  items: AuditEvent[];
  nextCursor: string | null;
  resumeCursor: string;
}

/**
 * One page. `nextCursor` is the pair of the last item while more may follow,
 * null once the page reached the visible end of the log. `resumeCursor` is
 * where a later call picks up only what was appended since: after the last
 * item, or past the events this filter skipped at the end of the log.
 */
export async function readEventPage(sql: Queryable, filter: EventFilter, after: LogPosition | undefined, limit: number): Promise<EventPage> {
  const page = await readAll(sql, { ...filter, after: after ?? LOG_START, limit, withRaw: true });
  const cursor = encodeLogCursor(page.position);
  return { items: page.events.map(toAuditEvent), nextCursor: page.caughtUp ? null : cursor, resumeCursor: cursor };
}

/** The newest event every reader can see now (LOG_START for an empty log). */
export async function readVisibleHead(sql: Queryable): Promise<LogPosition> {
  // A page of zero events: readAll then answers the visible head as its position.
  return (await readAll(sql, { limit: 0 })).position;
}
