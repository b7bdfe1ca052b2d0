/**
 * @module sync/read-sync-state
 * An account's sync state from the log: the last event of its backfill
 * stream and of its sync stream (each carries its stream's whole state), in
 * one statement, two index lookups however long the streams are.
 */
import type { Queryable } from "../db/client";
import { readLastInStreams } from "../event-store";
import { chatStream } from "../conversations";
import { type SyncState, syncStateOf } from "./decider";
import { type AccountSyncCompleted, type BackfillEvent, backfillStream, syncStream } from "./events";

export async function readSyncState(sql: Queryable, unipileAccountId: string): Promise<SyncState> {
  const last = await readLastInStreams(sql, [backfillStream(unipileAccountId), syncStream(unipileAccountId)]);
  const backfill = last.get(backfillStream(unipileAccountId));
  const sync = last.get(syncStream(unipileAccountId));
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
  // Looked up as the log stores stream ids (a chat id with a NUL is still looked up, not a failed statement).
  const last = await readLastInStreams(sql, unipileChatIds.map(chatStream), ["UnipileChatObserved"]);
  return new Map(
    unipileChatIds.flatMap((id) => {
      const event = last.get(chatStream(id));
      return event ? [[id, { dedupeKey: event.dedupeKey as string, attendees: (event.data as { attendees?: unknown[] | null }).attendees ?? null }] as const] : [];
    }),
  );
}
