/**
 * @module event-store/schema
 * The event log's tables. `events` is append-only; `streams` keeps each
 * stream's current version so concurrent appends to one stream serialize on a
 * row lock instead of failing a compare-and-set (EVENT-SOURCING.md rule 2).
 */
import { sql } from "drizzle-orm";
import { bigint, customType, index, integer, jsonb, pgTable, text, timestamp, unique } from "drizzle-orm/pg-core";

/** Postgres `xid8`: a 64-bit transaction id, returned as a decimal string. */
export const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => "xid8",
});

/** Postgres `bytea`: bytes, as postgres.js returns them (a Buffer). */
export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

export const events = pgTable(
  "events",
  {
    globalPosition: bigint("global_position", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: xid8("transaction_id")
      .notNull()
      .default(sql`pg_current_xact_id()`),
    streamId: text("stream_id").notNull(),
    streamVersion: bigint("stream_version", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    schemaVersion: integer("schema_version").notNull().default(1),
    data: jsonb("data").notNull(),
    metadata: jsonb("metadata").notNull(),
    dedupeKey: text("dedupe_key").unique("events_dedupe_key_unique"),
    recordedAt: timestamp("recorded_at", { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    /**
     * What was received, byte for byte, when the event's JSON had to differ from it (text Postgres
     * cannot store was replaced, or the body was not UTF-8); null otherwise (metadata.sanitized says which).
     */
    raw: bytea("raw"),
  },
  (t) => [
    unique("events_stream_version_unique").on(t.streamId, t.streamVersion),
    index("events_transaction_position_idx").on(t.transactionId, t.globalPosition),
    index("events_type_position_idx").on(t.type, t.globalPosition),
    index("events_recorded_at_idx").on(t.recordedAt),
    // Auditors read one stream, or everything about one Unipile account, in log order, page by page.
    index("events_stream_position_idx").on(t.streamId, t.transactionId, t.globalPosition),
    index("events_unipile_account_idx").on(sql`(${t.data}->>'unipileAccountId')`, t.transactionId, t.globalPosition),
  ],
);

export const streams = pgTable("streams", {
  streamId: text("stream_id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});
