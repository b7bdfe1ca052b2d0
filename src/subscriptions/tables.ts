/**
 * @module subscriptions/tables
 * `subscriptions` is the projection of the subscription streams (what the API
 * lists). The others are operational state, not history, like the sync's
 * leases: the signing secrets (kept out of the log on purpose), each
 * subscription's delivery checkpoint, lease and retry schedule, the events
 * read from the log and not yet delivered, and the log of delivery attempts.
 */
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { xid8 } from "../event-store/schema";
import type { SubscriptionRow } from "./subscription-evolve";

const ts = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

export const makeSubscriptionsTable = (name: string) =>
  pgTable(
    name,
    {
      id: text("id").primaryKey(),
      userId: text("user_id").notNull(),
      url: text("url").notNull(),
      events: jsonb("events").$type<string[]>().notNull(),
      accountIds: jsonb("account_ids").$type<string[] | null>(),
      description: text("description").notNull(),
      enabled: boolean("enabled").notNull(),
      disabledReason: text("disabled_reason"),
      secretVersion: integer("secret_version").notNull(),
      createdTransactionId: text("created_transaction_id").notNull(),
      createdPosition: bigint("created_position", { mode: "number" }).notNull(),
      createdAt: ts("created_at").notNull(),
      updatedAt: ts("updated_at").notNull(),
    },
    (t) => [index(`${name}_user_idx`).on(t.userId, t.createdAt)],
  );

export const subscriptions = makeSubscriptionsTable("subscriptions");

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const rowMatchesTable: Same<typeof subscriptions.$inferSelect, SubscriptionRow> = true;

/** Signing secrets by version; an older one stays valid until `expires_at` (rotation overlap). */
export const subscriptionSecrets = pgTable(
  "subscription_secrets",
  {
    subscriptionId: text("subscription_id").notNull(),
    version: integer("version").notNull(),
    secret: text("secret").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    expiresAt: ts("expires_at"),
  },
  (t) => [primaryKey({ columns: [t.subscriptionId, t.version] })],
);

/** Per subscription: how far in the log it has read, who delivers it, and its retry schedule. */
export const subscriptionDeliveryState = pgTable("subscription_delivery_state", {
  subscriptionId: text("subscription_id").primaryKey(),
  checkpointTransactionId: xid8("checkpoint_transaction_id").notNull(),
  checkpointPosition: bigint("checkpoint_position", { mode: "number" }).notNull(),
  owner: text("owner"),
  leaseExpiresAt: ts("lease_expires_at"),
  /** Failed attempts in a row. */
  failures: integer("failures").notNull().default(0),
  failingSince: ts("failing_since"),
  nextAttemptAt: ts("next_attempt_at"),
  lastError: text("last_error"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** Events read from the log for a subscription and not yet delivered, with the body they carry. */
export const subscriptionPending = pgTable(
  "subscription_pending",
  {
    subscriptionId: text("subscription_id").notNull(),
    eventId: text("event_id").notNull(),
    transactionId: xid8("transaction_id").notNull(),
    globalPosition: bigint("global_position", { mode: "number" }).notNull(),
    /** Events with the same key (a conversation, an account) are delivered one after another, in log order. */
    orderKey: text("order_key").notNull(),
    topic: text("topic").notNull(),
    payload: jsonb("payload").notNull(),
    attempts: integer("attempts").notNull().default(0),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.subscriptionId, t.eventId] }),
    index("subscription_pending_order_idx").on(t.subscriptionId, t.orderKey, t.transactionId, t.globalPosition),
  ],
);

/** Every delivery attempt (operational record, pruned by nobody yet). */
export const subscriptionDeliveries = pgTable(
  "subscription_deliveries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    subscriptionId: text("subscription_id").notNull(),
    eventId: text("event_id").notNull(),
    topic: text("topic").notNull(),
    attempt: integer("attempt").notNull(),
    outcome: text("outcome").$type<"delivered" | "failed">().notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    replica: text("replica"),
    at: ts("at").notNull().defaultNow(),
  },
  (t) => [index("subscription_deliveries_sub_idx").on(t.subscriptionId, t.id)],
);
