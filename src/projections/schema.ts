/**
 * @module projections/schema
 * One checkpoint row per projection: the (transaction id, position) pair of the
 * last event applied, never the position alone (EVENT-SOURCING.md rule 1).
 */
import { sql } from "drizzle-orm";
import { bigint, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { xid8 } from "../event-store/schema";

export const projectionCheckpoints = pgTable("projection_checkpoints", {
  name: text("name").primaryKey(),
  transactionId: xid8("transaction_id")
    .notNull()
    .default(sql`'0'::xid8`),
  globalPosition: bigint("global_position", { mode: "number" }).notNull().default(0),
  /** The projection's version when its tables were built; a newer code version triggers a rebuild. */
  version: integer("version").notNull().default(1),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});
