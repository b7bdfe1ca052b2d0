/**
 * @module accounts/views
 * An account as the API shows it: its schema (in the OpenAPI contract) and the
 * view of a projection row. Routes, the live stream, the sync and the auditors
 * answer with the same view.
 */
import { z } from "zod";
import type { AccountRow } from "./account-evolve";
import { ACCOUNT_STATUSES } from "./status-mapping";

export const AccountSyncSchema = z
  .object({
    state: z.enum(["not_started", "backfilling", "live"]).describe("not_started: no history import yet; backfilling: importing history; live: history imported, polling"),
    backfill: z
      .object({
        state: z.enum(["running", "done"]),
        reason: z.string().nullable().describe("connected (first import) or sync_success (Unipile finished its own history sync)"),
        startedAt: z.string().nullable(),
        completedAt: z.string().nullable(),
        chatsDone: z.number().int(),
        messagesSeen: z.number().int().describe("Messages read from Unipile by this import"),
        messagesImported: z.number().int().describe("Of those, the ones the log did not have"),
      })
      .nullable(),
    position: z.string().nullable().describe("Unipile's message time up to which the poll has read"),
    lastRunAt: z.string().nullable().describe("When a poll was last recorded (it found messages, filled a gap or caught up)"),
    lastTrigger: z.string().nullable(),
    messagesImported: z.number().int().describe("Messages the sync brought that no webhook had"),
    gapSince: z.string().nullable().describe("The account left connected then; the gap is filled once it is back"),
  })
  .meta({ id: "AccountSync" });

export const AccountSchema = z
  .object({
    id: z.uuid().describe("The same as accountId (the CommSync app's field name)"),
    accountId: z.uuid().describe("Our id of the account"),
    userId: z.string(),
    provider: z.literal("whatsapp"),
    accountIdentifier: z.string().describe("Unipile's account id"),
    status: z.enum(ACCOUNT_STATUSES),
    connected: z.boolean(),
    unipileStatus: z.string().nullable().describe("Unipile's last status word"),
    statusReason: z.string().nullable(),
    phoneNumber: z.string().nullable(),
    name: z.string().nullable(),
    qrExpiresAt: z.string().nullable(),
    createdAt: z.string().nullable(),
    updatedAt: z.string(),
    statusChangedAt: z.string().nullable(),
    connectedAt: z.string().nullable(),
    lastSync: z.string().nullable(),
    disconnectedAt: z.string().nullable(),
    sync: AccountSyncSchema,
  })
  .meta({ id: "Account" });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function accountView(row: AccountRow): z.infer<typeof AccountSchema> {
  return {
    id: row.id ?? "",
    accountId: row.id ?? "",
    userId: row.userId ?? "",
    provider: row.provider,
    accountIdentifier: row.unipileAccountId,
    status: row.status,
    connected: row.status === "connected",
    unipileStatus: row.unipileStatus,
    statusReason: row.statusReason,
    phoneNumber: row.phoneNumber,
    name: row.name,
    qrExpiresAt: iso(row.qrExpiresAt),
    createdAt: iso(row.createdAt),
    updatedAt: row.updatedAt.toISOString(),
    statusChangedAt: iso(row.statusChangedAt),
    connectedAt: iso(row.connectedAt),
    lastSync: iso(row.lastSync),
    disconnectedAt: iso(row.disconnectedAt),
    sync: syncView(row),
  };
}

function syncView(row: AccountRow): z.infer<typeof AccountSyncSchema> {
  const backfill = row.backfillState
    ? {
        state: row.backfillState,
        reason: row.backfillReason,
        startedAt: iso(row.backfillStartedAt),
        completedAt: iso(row.backfillCompletedAt),
        chatsDone: row.backfillChatsDone,
        messagesSeen: row.backfillMessagesSeen,
        messagesImported: row.backfillMessagesImported,
      }
    : null;
  return {
    state: !backfill ? "not_started" : backfill.state === "running" ? "backfilling" : "live",
    backfill,
    position: iso(row.syncPosition),
    lastRunAt: iso(row.syncLastRunAt),
    lastTrigger: row.syncLastTrigger,
    messagesImported: row.syncMessagesImported,
    gapSince: iso(row.syncGapSince),
  };
}
