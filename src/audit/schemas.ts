/**
 * @module audit/schemas
 * What the audit routes accept and answer. Every query parameter is parsed
 * here, so a malformed cursor, time or limit is a 400 VALIDATION_FAILED and
 * never reaches Postgres (where it would become a 500).
 */
import { z } from "zod";
import { isoTime, storableText as text } from "../http/input";
import { decodeLogCursor, decodeStreamCursor } from "./cursor";

const TypeList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean))
  .pipe(z.array(text(200)).min(1, "type needs at least one event type").max(50, "at most 50 event types"));

const LogCursor = z.string().transform((value, ctx) => {
  const position = decodeLogCursor(value);
  if (!position) {
    ctx.addIssue({ code: "custom", message: "after must be a nextCursor or resumeCursor from this API" });
    return z.NEVER;
  }
  return position;
});

const StreamCursor = z.string().transform((value, ctx) => {
  const version = decodeStreamCursor(value);
  if (version === null) {
    ctx.addIssue({ code: "custom", message: "after must be a nextCursor from this route" });
    return z.NEVER;
  }
  return version;
});

const limit = (fallback: number) =>
  z.coerce.number().int().min(1).max(1000).default(fallback).describe(`Events per page (1–1000, default ${fallback})`);

/** The filters shared by `/events` and `/export`. */
export const EventFilterQuery = z.object({
  type: TypeList.optional().describe("Event types: repeat the parameter or separate with commas"),
  streamId: text(500).optional().describe("One stream (account:<unipile id>, unipile-chat:<chat id>, …)"),
  accountId: text(200)
    .optional()
    .describe("Our account id or Unipile's: the account's stream and every event whose data names it (data.unipileAccountId)"),
  from: isoTime("from").optional().describe("Recorded at or after this time"),
  to: isoTime("to").optional().describe("Recorded at or before this time"),
});
export type EventFilterInput = z.infer<typeof EventFilterQuery>;

export const EventsQuery = EventFilterQuery.extend({
  after: LogCursor.optional().describe("A nextCursor or resumeCursor from an earlier answer"),
  limit: limit(100),
});

export const ExportQuery = EventFilterQuery.extend({
  after: LogCursor.optional().describe("Start after this cursor (from /api/audit/events or X-Audit-Resume-Cursor)"),
});

export const StreamParams = z.object({ streamId: text(500).describe("The stream id, URL-encoded (account%3A…)") });
export const StreamQuery = z.object({
  after: StreamCursor.optional().describe("A nextCursor from an earlier answer"),
  limit: limit(100),
});

export const AccountParams = z.object({ id: text(200).describe("Our account id (uuid) or Unipile's account id") });
export const AccountStateQuery = z.object({
  at: z
    .union(
      [
        z.string().regex(/^\d{1,15}$/).transform((v) => ({ position: Number(v) })),
        isoTime("at").transform((time) => ({ time })),
      ],
      { error: "at must be an ISO-8601 time with a zone, from year 0001 to 9999, or a log position (a whole number)" },
    )
    .optional()
    .describe("A time (events recorded at or before it) or a log position (events at or below it); default: now"),
});
export type StatePoint = NonNullable<z.infer<typeof AccountStateQuery>["at"]>;

export const ConversationParams = z.object({ id: text(200).describe("Our conversation id (uuid) or Unipile's chat id") });
export const ConversationStateQuery = AccountStateQuery.extend({ limit: limit(100).describe("Messages in the answer, newest first") });

export const AuditEventSchema = z
  .object({
    globalPosition: z.number(),
    transactionId: z.string().describe("The writing transaction (xid8, decimal)"),
    streamId: z.string(),
    streamVersion: z.number(),
    type: z.string(),
    schemaVersion: z.number(),
    data: z.unknown().describe("The event's data; facts from Unipile keep its payload in data.raw"),
    metadata: z.record(z.string(), z.unknown()).describe("source, actor, requestId, receivedAt, …"),
    dedupeKey: z.string().nullable(),
    recordedAt: z.string(),
    raw: z
      .string()
      .nullable()
      .describe("Base64 of the bytes received, kept when the event's JSON had to differ from them (see metadata.sanitized) and for UnprocessableFact; else null"),
  })
  .meta({ id: "AuditEvent" });

export const EventPageSchema = z.object({
  items: z.array(AuditEventSchema),
  nextCursor: z.string().nullable().describe("The next page; null when this page reached the end of the log as it stands"),
  resumeCursor: z.string().describe("Ask again later with this to get only what was appended since"),
});

export const StreamPageSchema = z.object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() });

const TableDiffSchema = z.object({
  table: z.string(),
  liveRows: z.number(),
  rebuiltRows: z.number(),
  differing: z.number(),
  onlyLive: z.array(z.unknown()).describe("Up to 20 live rows with no equal rebuilt row"),
  onlyRebuilt: z.array(z.unknown()),
});

export const VerifySchema = z.object({
  ok: z.boolean(),
  projections: z.array(z.object({ projection: z.string(), events: z.number(), ok: z.boolean(), tables: z.array(TableDiffSchema) })),
});
