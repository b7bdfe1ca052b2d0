/**
 * A small projection for testing the runner: one row per stream counting its
 * events. `onApply` lets a test watch (or break) each batch.
 */
import { bigint, integer, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import type { Sql } from "../../src/db/client";
import type { RecordedEvent } from "../../src/event-store";
import { defineRowProjection, type Projection } from "../../src/projections";

const makeTable = (name: string) =>
  pgTable(name, {
    streamId: text("stream_id").primaryKey(),
    events: integer("events").notNull(),
    lastType: text("last_type").notNull(),
    lastPosition: bigint("last_position", { mode: "number" }).notNull(),
    types: jsonb("types").$type<string[]>().notNull(),
  });

export type CounterRow = ReturnType<typeof makeTable>["$inferSelect"];

export async function createCounterTable(sql: Sql, name = "stream_counters") {
  await sql`create table if not exists ${sql(name)} (
    stream_id text primary key, events integer not null, last_type text not null,
    last_position bigint not null, types jsonb not null)`;
  await sql`create index if not exists ${sql(`${name}_last_type_idx`)} on ${sql(name)} (last_type)`;
}

export function counterProjection(options: {
  name?: string;
  table?: string;
  eventTypes?: string[];
  version?: number;
  onApply?: (events: readonly RecordedEvent[]) => void | Promise<void>;
} = {}): Projection {
  const table = options.table ?? "stream_counters";
  const inner = defineRowProjection({
    name: options.name ?? "stream-counters",
    version: options.version ?? 1,
    eventTypes: options.eventTypes ?? ["Counted", "Other", "Deleted"],
    table: { name: table, make: makeTable, key: (t) => t.streamId },
    keysOf: (event) => [event.streamId],
    evolve: (row: CounterRow | null, event) => {
      if (event.type === "Deleted") return null;
      return {
        streamId: event.streamId,
        events: (row?.events ?? 0) + 1,
        lastType: event.type,
        lastPosition: event.globalPosition,
        types: [...(row?.types ?? []), event.type],
      };
    },
  });
  return {
    ...inner,
    async apply(tx, events, tables) {
      await options.onApply?.(events);
      await inner.apply(tx, events, tables);
    },
  };
}
