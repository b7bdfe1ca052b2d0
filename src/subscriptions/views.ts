/**
 * @module subscriptions/views
 * The subscription as the API shows it (never its secret), and the schemas of
 * the answers.
 */
import { z } from "zod";
import type { DeliveryStatus } from "./queries";
import type { SubscriptionRow } from "./subscription-evolve";

const DeliveryStatusSchema = z.object({
  checkpoint: z.string().nullable().describe("The last log position read for this subscription"),
  pending: z.number().int().describe("Events read and not yet delivered"),
  lagMs: z.number().int().describe("Age of the oldest undelivered event"),
  failures: z.number().int().describe("Failed attempts in a row"),
  failingSince: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

export const SubscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  accountIds: z.array(z.string()).nullable().describe("Account identifiers (Unipile account ids); null: every account of the caller"),
  description: z.string(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  secretVersion: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  delivery: DeliveryStatusSchema,
}).meta({ id: "Subscription" });

export const RotatedSchema = z.object({
  subscription: SubscriptionSchema,
  secret: z.string().describe("whsec_…: shown only now"),
  previousValidUntil: z.string().nullable(),
});

export const TestResultSchema = z.object({
  eventId: z.string(),
  delivered: z.boolean(),
  responseCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});

export const DeliverySchema = z.object({
  attemptId: z.number().int(),
  eventId: z.string(),
  type: z.string(),
  attempt: z.number().int(),
  status: z.enum(["delivered", "failed"]),
  responseCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
  at: z.string(),
});

export function subscriptionView(row: SubscriptionRow, delivery: DeliveryStatus): z.infer<typeof SubscriptionSchema> {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    accountIds: row.accountIds,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    secretVersion: row.secretVersion,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    delivery,
  };
}
