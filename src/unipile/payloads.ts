/**
 * @module unipile/payloads
 * Edge schemas for what Unipile sends us: the three webhook body shapes
 * (flat messaging events, the `{"AccountStatus": {...}}` envelope, the
 * hosted-auth `notify_url` callback) and the REST Account / Chat / Message /
 * attendee / webhook shapes read when polling. Lenient where Unipile is
 * inconsistent (attachment key spellings, `is_sender` boolean on webhooks but
 * 0/1 on REST, nullable extras, unknown keys kept), strict on the ids the
 * service relies on. Pure: imports only zod.
 */
import { z } from "zod";
import { fastMessagingWebhook } from "./messaging-webhook-fast";

/**
 * Unipile's ids are a few dozen characters. A longer one is not Unipile's: the
 * body is then of no shape we know (recorded, not projected), since the
 * projections index ids and a Postgres index entry holds about 2,700 bytes.
 */
const MAX_ID_LENGTH = 500;
const id = z.string().min(1).max(MAX_ID_LENGTH);
const nullableString = z.string().nullish();
const nullableId = z.string().max(MAX_ID_LENGTH).nullish();
/** `true`/`false`, `1`/`0` or `"true"`/`"false"`/`"1"`/`"0"`, as a boolean. */
const looseBoolean = z.union([z.boolean(), z.literal(0), z.literal(1), z.enum(["true", "false", "0", "1"])]).transform(
  (v) => v === true || v === 1 || v === "true" || v === "1",
);
/** A number given as a number or a numeric string (the docs' stale sample uses strings). */
const looseNumber = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);

// ---------------------------------------------------------------- webhooks

/** Messaging events Unipile v1 sends for WhatsApp. */
export const MESSAGING_EVENTS = [
  "message_received",
  "message_reaction",
  "message_read",
  "message_edited",
  "message_deleted",
  "message_delivered",
] as const;
export type MessagingEventName = (typeof MESSAGING_EVENTS)[number];

export const WebhookAttendeeSchema = z.looseObject({
  attendee_id: nullableString,
  attendee_name: nullableString,
  /** May be an opaque `<n>@lid`: never parse a phone out of it. */
  attendee_provider_id: nullableString,
  attendee_profile_url: nullableString,
  attendee_public_identifier: nullableString,
  attendee_specifics: z.looseObject({ provider: nullableString, phone_number: nullableString, lid: nullableString }).nullish(),
});
export type WebhookAttendee = z.infer<typeof WebhookAttendeeSchema>;

/** Webhook attachments come as `id/type/mimetype` (docs) or `attachment_id/attachment_type/attachment_name`; both map to one shape. */
export const WebhookAttachmentSchema = z
  .looseObject({
    id: nullableString,
    attachment_id: nullableString,
    type: nullableString,
    attachment_type: nullableString,
    file_name: nullableString,
    attachment_name: nullableString,
    mimetype: nullableString,
    url: nullableString,
    file_size: looseNumber.nullish(),
    unavailable: looseBoolean.nullish(),
  })
  .transform((a) => ({
    id: a.id ?? a.attachment_id ?? null,
    type: a.type ?? a.attachment_type ?? null,
    fileName: a.file_name ?? a.attachment_name ?? null,
    mimetype: a.mimetype ?? null,
    url: a.url ?? null,
    fileSize: a.file_size ?? null,
    unavailable: a.unavailable ?? false,
  }));
export type WebhookAttachment = z.infer<typeof WebhookAttachmentSchema>;

/** A flat messaging event. `event` is kept as sent, so unknown event names survive for the inbox. */
export const MessagingWebhookSchema = z.looseObject({
  event: z.string().min(1),
  account_id: id,
  account_type: nullableString,
  account_info: z.looseObject({}).nullish(),
  webhook_name: nullableString,
  chat_id: id,
  message_id: id,
  timestamp: nullableString,
  /** The text (not an object); "" for media. */
  message: nullableString,
  provider_chat_id: nullableId,
  provider_message_id: nullableId,
  is_sender: looseBoolean.nullish(),
  is_group: looseBoolean.nullish(),
  subject: nullableString,
  quoted: z.looseObject({ provider_id: nullableString, sender_id: nullableString, text: nullableString }).nullish(),
  sender: WebhookAttendeeSchema.nullish(),
  attendees: z.array(WebhookAttendeeSchema).nullish(),
  /** An array, or one object in the docs' stale sample. */
  attachments: z
    .union([z.array(WebhookAttachmentSchema), WebhookAttachmentSchema.transform((a) => [a])])
    .nullish()
    .transform((a) => a ?? []),
  reaction: nullableString,
  reaction_sender: WebhookAttendeeSchema.nullish(),
});
export type MessagingWebhook = z.infer<typeof MessagingWebhookSchema>;

/**
 * `MessagingWebhookSchema.safeParse`, without zod's walk for the plain bodies
 * Unipile sends (messaging-webhook-fast.ts); the schema decides the others.
 */
export function parseMessagingWebhook(json: unknown): ReturnType<typeof MessagingWebhookSchema.safeParse> {
  const fast = fastMessagingWebhook(json);
  return fast ? { success: true, data: fast } : MessagingWebhookSchema.safeParse(json);
}

export const AccountStatusWebhookSchema = z.looseObject({
  AccountStatus: z.looseObject({
    account_id: id,
    account_type: nullableString,
    /** OK, ERROR, STOPPED, CREDENTIALS, PERMISSIONS, CONNECTING, DELETED, CREATION_SUCCESS, CREATION_FAIL, RECONNECTED, SYNC_SUCCESS, or a newer one. */
    message: z.string().min(1),
  }),
});
export type AccountStatusWebhook = z.infer<typeof AccountStatusWebhookSchema>;

export const HostedAuthNotifySchema = z.looseObject({
  status: z.string().min(1),
  account_id: id,
  name: z.string(),
});
export type HostedAuthNotify = z.infer<typeof HostedAuthNotifySchema>;

export type ClassifiedWebhook =
  | { kind: "messaging"; known: boolean; body: MessagingWebhook }
  | { kind: "account_status"; body: AccountStatusWebhook }
  | { kind: "hosted_auth"; body: HostedAuthNotify }
  | { kind: "unknown"; reason: string };

/**
 * Says which of Unipile's webhook shapes `json` is, routing on key presence
 * (there is no common envelope). Messaging events with an unknown `event`
 * are still `messaging` with `known: false`; anything unrecognisable or
 * missing the ids is `unknown` with the reason.
 */
export function classifyWebhookBody(json: unknown): ClassifiedWebhook {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { kind: "unknown", reason: "not a JSON object" };
  const record = json as Record<string, unknown>;
  if ("AccountStatus" in record) {
    const parsed = AccountStatusWebhookSchema.safeParse(json);
    return parsed.success ? { kind: "account_status", body: parsed.data } : { kind: "unknown", reason: issues(parsed.error) };
  }
  if (typeof record.event === "string") {
    if (!record.event.startsWith("message_")) return { kind: "unknown", reason: `event ${record.event} is not a messaging event` };
    const parsed = parseMessagingWebhook(json);
    if (!parsed.success) return { kind: "unknown", reason: issues(parsed.error) };
    return { kind: "messaging", known: (MESSAGING_EVENTS as readonly string[]).includes(parsed.data.event), body: parsed.data };
  }
  if ("status" in record && "account_id" in record && "name" in record) {
    const parsed = HostedAuthNotifySchema.safeParse(json);
    return parsed.success ? { kind: "hosted_auth", body: parsed.data } : { kind: "unknown", reason: issues(parsed.error) };
  }
  return { kind: "unknown", reason: "no AccountStatus, event or status key" };
}

const issues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");

// ---------------------------------------------------------------- REST

const flag = looseBoolean;

export const RestAccountSchema = z.looseObject({
  object: z.literal("Account"),
  id,
  type: z.string(),
  name: z.string(),
  created_at: z.string(),
  connection_params: z.looseObject({ im: z.looseObject({ phone_number: z.string().nullish() }).nullish() }).nullish(),
  sources: z.array(z.looseObject({ id: z.string(), status: z.string() })),
});
export type RestAccount = z.infer<typeof RestAccountSchema>;

export const RestAttachmentSchema = z.looseObject({
  id,
  type: z.string(),
  mimetype: z.string().nullish(),
  file_name: z.string().nullish(),
  file_size: z.number().nullish(),
  unavailable: z.boolean(),
});

export const RestMessageSchema = z.looseObject({
  id,
  account_id: id,
  chat_id: id,
  chat_provider_id: z.string(),
  provider_id: z.string(),
  sender_id: z.string(),
  sender_attendee_id: z.string(),
  text: z.string().nullable(),
  attachments: z.array(RestAttachmentSchema),
  timestamp: z.string(),
  is_sender: flag,
  quoted: z.looseObject({ provider_id: z.string(), sender_id: z.string(), text: z.string().nullable() }).optional(),
  reactions: z.array(z.looseObject({ value: z.string(), sender_id: z.string(), is_sender: z.boolean() })),
  seen: flag,
  deleted: flag,
  edited: flag,
  delivered: flag,
  is_event: flag,
});
export type RestMessage = z.infer<typeof RestMessageSchema>;

export const RestChatSchema = z.looseObject({
  id,
  account_id: id,
  account_type: z.string(),
  provider_id: z.string(),
  attendee_provider_id: z.string().optional(),
  name: z.string().nullable(),
  /** 0 single, 1 group, 2 channel. */
  type: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  timestamp: z.string().nullable(),
  unread_count: z.number(),
  archived: flag,
});
export type RestChat = z.infer<typeof RestChatSchema>;

export const RestChatWithLastMessageSchema = RestChatSchema.extend({ lastMessage: RestMessageSchema.nullable() });
export type RestChatWithLastMessage = z.infer<typeof RestChatWithLastMessageSchema>;

export const RestAttendeeSchema = z.looseObject({
  id,
  account_id: id,
  provider_id: z.string(),
  name: z.string(),
  is_self: flag,
});
export type RestAttendee = z.infer<typeof RestAttendeeSchema>;

export const RestWebhookSchema = z.looseObject({
  id,
  source: z.string().optional(),
  request_url: z.string(),
  name: z.string().optional(),
  enabled: z.boolean(),
  headers: z.array(z.object({ key: z.string(), value: z.string() })),
  events: z.array(z.string()).optional(),
});
export type RestWebhook = z.infer<typeof RestWebhookSchema>;

/** An item of a Unipile list that is not of the shape expected, with what is wrong with it. */
export interface Misshapen {
  item: unknown;
  issues: string[];
}

/**
 * `{items, cursor}` of a list read item by item: an item of an unexpected
 * shape is set aside in `misshapen` and the others are kept, so one odd
 * message cannot make a whole page (and every page after it) unreadable.
 */
export const lenientListOf = <T extends z.ZodType>(item: T) =>
  z
    .looseObject({ items: z.array(z.unknown()), cursor: z.string().nullable().optional().transform((c) => c ?? null) })
    .transform(({ items, cursor }) => {
      const read: z.infer<T>[] = [];
      const misshapen: Misshapen[] = [];
      for (const raw of items) {
        const parsed = item.safeParse(raw);
        if (parsed.success) read.push(parsed.data);
        else misshapen.push({ item: raw, issues: parsed.error.issues.map((i) => `${i.path.join(".") || "(item)"}: ${i.message}`) });
      }
      return { items: read, cursor, misshapen };
    });

/** `{items, cursor}` of a list; `cursor` null on the last page. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.looseObject({ items: z.array(item), cursor: z.string().nullable().optional().transform((c) => c ?? null) });
