/**
 * @module accounts/accounts-table
 * The accounts projection's table (the original design's `UnipileAccount`).
 */
import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { AccountRow } from "./account-evolve";
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
    },
    (t) => [index(`${name}_user_idx`).on(t.userId, t.createdAt), index(`${name}_status_idx`).on(t.status)],
  );

export const accounts = makeAccountsTable("accounts");

// The table and the pure row type must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const rowMatchesTable: Same<typeof accounts.$inferSelect, AccountRow> = true;
