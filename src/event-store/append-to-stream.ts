/**
 * @module event-store/append-to-stream
 * Appends events to one stream with optimistic concurrency, in one statement.
 * For commands from our own routes: a version conflict is a result (409 at HTTP).
 */
import type { Sql } from "../db/client";
import { err, ok, type Result } from "../lib/result";
import type { AppendError, AppendResult, ExpectedVersion, NewEvent } from "./event";
import { encodeEvents, EVENTS_CHANNEL } from "./rows";
import { storableId } from "./storable";

const UNIQUE_VIOLATION = "23505";

/**
 * The `streams` row is the concurrency guard: its version moves only if it
 * still equals the expected one, and the events are inserted by the same
 * statement, so a conflict writes nothing. A duplicate dedupe key aborts the
 * whole statement (version bump included) and is reported with the original
 * event's position.
 */
export async function appendToStream(
  sql: Sql,
  givenStreamId: string,
  events: readonly NewEvent[],
  options: { expectedVersion: ExpectedVersion },
): Promise<Result<AppendResult, AppendError>> {
  if (events.length === 0) throw new Error("appendToStream needs at least one event");
  const { expectedVersion } = options;
  const count = events.length;
  // Stored as the log stores every stream id (storable.ts); each event carries it so its note says so.
  const streamId = storableId(givenStreamId);
  const payload = encodeEvents(events.map((e) => ({ ...e, streamId: givenStreamId })));
  try {
    const rows = await sql<{ global_position: number; stream_version: number; transaction_id: string }[]>`
      with input as (
        select x.ord, x.e from jsonb_array_elements(${payload}::jsonb) with ordinality as x(e, ord)
      ),
      bumped as (${bumpStream(sql, streamId, count, expectedVersion)}),
      inserted as (
        insert into events (stream_id, stream_version, type, schema_version, data, metadata, dedupe_key, raw)
        select ${streamId}, b.version - ${count} + i.ord, i.e->>'type', (i.e->>'schemaVersion')::int,
               i.e->'data', i.e->'metadata', i.e->>'dedupeKey', decode(i.e->>'raw', 'base64')
        from input i cross join bumped b
        order by i.ord
        returning global_position, stream_version, transaction_id::text as transaction_id
      )
      select i.*, (select pg_notify(${EVENTS_CHANNEL}, '') from inserted limit 1) is null as notified
      from inserted i order by i.stream_version
    `;
    const last = rows[rows.length - 1];
    if (!last) {
      const current = await sql<{ version: number }[]>`select version from streams where stream_id = ${streamId}`;
      return err({ code: "STREAM_VERSION_CONFLICT", streamId, expected: expectedVersion, actual: current[0]?.version ?? 0 });
    }
    return ok({
      streamId,
      nextVersion: last.stream_version,
      globalPositions: rows.map((r) => r.global_position),
      transactionId: last.transaction_id,
    });
  } catch (error) {
    const pgError = error as { code?: string; constraint_name?: string };
    if (pgError.code === UNIQUE_VIOLATION && pgError.constraint_name === "events_dedupe_key_unique") {
      const keys = events.map((e) => e.dedupeKey).filter((k): k is string => typeof k === "string").map(storableId);
      const existing = await sql<{ dedupe_key: string; global_position: number }[]>`
        select dedupe_key, global_position from events where dedupe_key = any(${keys}) order by global_position limit 1
      `;
      const first = existing[0];
      if (first) return err({ code: "DUPLICATE_EVENT", dedupeKey: first.dedupe_key, globalPosition: first.global_position });
    }
    throw error;
  }
}

function bumpStream(sql: Sql, streamId: string, count: number, expected: ExpectedVersion) {
  if (expected === "any") {
    return sql`
      insert into streams as s (stream_id, version) values (${streamId}, ${count})
      on conflict (stream_id) do update set version = s.version + excluded.version, updated_at = now()
      returning s.version`;
  }
  if (expected === "stream_exists") {
    return sql`
      update streams set version = version + ${count}, updated_at = now()
      where stream_id = ${streamId} returning version`;
  }
  if (expected === 0) {
    return sql`
      insert into streams (stream_id, version) values (${streamId}, ${count})
      on conflict (stream_id) do nothing returning version`;
  }
  return sql`
    update streams set version = version + ${count}, updated_at = now()
    where stream_id = ${streamId} and version = ${expected} returning version`;
}
