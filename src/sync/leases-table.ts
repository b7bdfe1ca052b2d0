/**
 * @module sync/leases-table
 * The sync's schedule: one row per account the sync serves, holding who runs
 * it now (a lease that expires, so a crashed replica's accounts are taken
 * over), when it runs next, and its failures. Operational state like the
 * projection checkpoints: not history. The history (what each run read, how
 * far an import got) is in the log; this table can be emptied at any time and
 * the sync only loses its timing.
 */
import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const syncLeases = pgTable(
  "sync_leases",
  {
    unipileAccountId: text("unipile_account_id").primaryKey(),
    /** The sync instance running the account now; null when nobody is. */
    owner: text("owner"),
    leaseExpiresAt: ts("lease_expires_at"),
    nextRunAt: ts("next_run_at").notNull().defaultNow(),
    /** Failed runs in a row. */
    failures: integer("failures").notNull().default(0),
    /** Unipile asked (Retry-After) not to be called before then; manual syncs wait too. */
    blockedUntil: ts("blocked_until"),
    lastError: jsonb("last_error"),
    lastRunAt: ts("last_run_at"),
    lastSuccessAt: ts("last_success_at"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("sync_leases_next_run_idx").on(t.nextRunAt)],
);
