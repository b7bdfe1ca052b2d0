/**
 * @module accounts/accounts-table
 * The accounts projection's table (the original design's `UnipileAccount`).
 */
import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { AccountRow, BackfillRowState } from "./account-evolve";
import type { AccountStatus } from "./status-mapping";

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const makeAccountsTable = (name: string) =>
  pgTable(
    name,
    {
      unipileAccountId: text("unipile_account_id").primaryKey(),
      id: uuid("id").unique(),
      userId: text("user_id"),
      provider: text("provider").$type<"whatsapp">().notNull(),
      status: text("status").$type<AccountStatus>().notNull(),
      unipileStatus: text("unipile_status"),
      statusReason: text("status_reason"),
      connectionMethod: text("connection_method"),
      phoneNumber: text("phone_number"),
      name: text("name"),
      qrExpiresAt: ts("qr_expires_at"),
      createdAt: ts("created_at"),
      updatedAt: ts("updated_at").notNull(),
      statusChangedAt: ts("status_changed_at"),
      connectedAt: ts("connected_at"),
      lastSync: ts("last_sync"),
      disconnectedAt: ts("disconnected_at"),
      backfillRunId: uuid("backfill_run_id"),
      backfillReason: text("backfill_reason"),
      backfillState: text("backfill_state").$type<BackfillRowState>(),
      backfillStartedAt: ts("backfill_started_at"),
      backfillCompletedAt: ts("backfill_completed_at"),
      backfillChatsDone: integer("backfill_chats_done").notNull().default(0),
      backfillMessagesSeen: integer("backfill_messages_seen").notNull().default(0),
      backfillMessagesImported: integer("backfill_messages_imported").notNull().default(0),
      syncPosition: ts("sync_position"),
      syncLastRunAt: ts("sync_last_run_at"),
      syncLastTrigger: text("sync_last_trigger"),
      syncMessagesImported: integer("sync_messages_imported").notNull().default(0),
      syncGapSince: ts("sync_gap_since"),
    },
    (t) => [index(`${name}_user_idx`).on(t.userId, t.createdAt), index(`${name}_status_idx`).on(t.status)],
  );

export const accounts = makeAccountsTable("accounts");

// The table and the pure row type must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const rowMatchesTable: Same<typeof accounts.$inferSelect, AccountRow> = true;
