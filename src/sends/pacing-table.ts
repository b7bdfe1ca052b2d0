/**
 * @module sends/pacing-table
 * The send pacing's state, one row per account: operational state like the
 * sync leases, not history. Kept in Postgres so that the pace holds across
 * replicas and restarts (a day's new chats are not forgotten by a deploy).
 * Emptying the table only forgets the current pace.
 */
import { jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const sendPacing = pgTable("send_pacing", {
  accountId: text("account_id").primaryKey(),
  /** `PacingState` (send-pacing-rules.ts). */
  state: jsonb("state").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
