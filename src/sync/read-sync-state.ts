/**
 * @module sync/read-sync-state
 * An account's sync state from the log: the last event of its backfill
 * stream and of its sync stream (each carries its stream's whole state), in
 * one statement, two index lookups however long the streams are.
 */
import type { Queryable } from "../db/client";
import { storableId } from "../event-store/storable";
import { chatStream } from "../conversations";
import { type SyncState, syncStateOf } from "./decider";
import { type AccountSyncCompleted, type BackfillEvent, backfillStream, syncStream } from "./events";

export async function readSyncState(sql: Queryable, unipileAccountId: string): Promise<SyncState> {
  const rows = await sql<{ stream_id: string; type: string; data: unknown }[]>`
    (select stream_id, type, data from events where stream_id = ${storableId(backfillStream(unipileAccountId))} order by stream_version desc limit 1)
    union all
    (select stream_id, type, data from events where stream_id = ${storableId(syncStream(unipileAccountId))} order by stream_version desc limit 1)
  `;
  const backfill = rows.find((r) => r.stream_id === storableId(backfillStream(unipileAccountId)));
  const sync = rows.find((r) => r.stream_id === storableId(syncStream(unipileAccountId)));
  return syncStateOf((backfill as BackfillEvent | undefined) ?? null, (sync as AccountSyncCompleted | undefined) ?? null);
}

export interface KnownChat {
  dedupeKey: string;
  attendees: unknown[] | null;
}

/**
 * The newest recorded description of each chat (its dedupe key and
 * attendees), so a listed chat that did not change is not fetched again.
 * Chats the log never described are absent from the map.
 */
export async function readKnownChats(sql: Queryable, unipileChatIds: readonly string[]): Promise<Map<string, KnownChat>> {
  if (unipileChatIds.length === 0) return new Map();
  // Streams as the log stores their ids (storableId: a chat id with a NUL is still looked up, not a failed statement).
  const rows = await sql<{ n: number; dedupe_key: string; attendees: unknown[] | null }[]>`
    select c.n::int as n, e.dedupe_key, e.data->'attendees' as attendees
    from unnest(${unipileChatIds.map((id) => storableId(chatStream(id)))}::text[]) with ordinality as c(stream_id, n)
    cross join lateral (
      select dedupe_key, data from events
      where stream_id = c.stream_id and type = 'UnipileChatObserved'
      order by stream_version desc limit 1
    ) e
  `;
  return new Map(rows.map((r) => [unipileChatIds[r.n - 1] as string, { dedupeKey: r.dedupe_key, attendees: r.attendees }]));
}
