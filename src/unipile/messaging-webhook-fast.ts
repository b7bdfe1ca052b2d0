/**
 * @module unipile/messaging-webhook-fast
 * `MessagingWebhookSchema.safeParse` without zod for the bodies Unipile
 * actually sends: every field absent, null or of its plain type (strings,
 * booleans, objects of strings), no attachments or an array of them with
 * plain fields. That is what the ingest route and the projection (live and
 * replay) read for every webhook, and zod's generic walk cost more than the
 * rest of the translation. Anything else (a `1` for a boolean, a numeric
 * string for a size, an object for the attachments, a wrong type anywhere)
 * goes to the schema (`parseMessagingWebhook` in payloads.ts), which stays the one definition: a test checks that both
 * give the same result on the fixtures and on variants of them. Pure.
 */
import type { MessagingWebhook, WebhookAttachment } from "./payloads";

/** As in payloads.ts: a longer id is not Unipile's. */
const MAX_ID_LENGTH = 500;

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown) => typeof v === "string" && v.length >= 1 && v.length <= MAX_ID_LENGTH;
/** Absent, null or a string (zod's `z.string().nullish()`). */
const plainString = (v: unknown) => v === undefined || v === null || typeof v === "string";
const plainId = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.length <= MAX_ID_LENGTH);
const plainBoolean = (v: unknown) => v === undefined || v === null || typeof v === "boolean";
const allStrings = (o: Obj, keys: readonly string[]) => keys.every((k) => plainString(o[k]));

const ATTENDEE_STRINGS = ["attendee_id", "attendee_name", "attendee_provider_id", "attendee_profile_url", "attendee_public_identifier"] as const;
const SPECIFICS_STRINGS = ["provider", "phone_number", "lid"] as const;
const TOP_STRINGS = ["account_type", "webhook_name", "timestamp", "message", "subject", "reaction"] as const;
const QUOTED_STRINGS = ["provider_id", "sender_id", "text"] as const;
const ATTACHMENT_STRINGS = ["id", "attachment_id", "type", "attachment_type", "file_name", "attachment_name", "mimetype", "url"] as const;

/** A copy of an attendee when every field is plain; undefined otherwise. Absent/null pass through. */
function attendee(v: unknown): { ok: boolean; value?: unknown } {
  if (v === undefined || v === null) return { ok: true, value: v };
  if (!isObject(v) || !allStrings(v, ATTENDEE_STRINGS)) return { ok: false };
  const specifics = v.attendee_specifics;
  if (specifics === undefined || specifics === null) return { ok: true, value: { ...v } };
  if (!isObject(specifics) || !allStrings(specifics, SPECIFICS_STRINGS)) return { ok: false };
  return { ok: true, value: { ...v, attendee_specifics: { ...specifics } } };
}

function attachment(v: unknown): WebhookAttachment | undefined {
  if (!isObject(v) || !allStrings(v, ATTACHMENT_STRINGS)) return undefined;
  const size = v.file_size;
  const unavailable = v.unavailable;
  if (!(size === undefined || size === null || typeof size === "number") || !plainBoolean(unavailable)) return undefined;
  const s = (a: unknown, b: unknown) => ((a as string | null | undefined) ?? (b as string | null | undefined) ?? null);
  return {
    id: s(v.id, v.attachment_id),
    type: s(v.type, v.attachment_type),
    fileName: s(v.file_name, v.attachment_name),
    mimetype: s(v.mimetype, undefined),
    url: s(v.url, undefined),
    fileSize: (size as number | null | undefined) ?? null,
    unavailable: (unavailable as boolean | null | undefined) ?? false,
  };
}

/** The body as the schema would give it, when every field is plain; undefined when the schema must decide. */
export function fastMessagingWebhook(json: unknown): MessagingWebhook | undefined {
  if (!isObject(json)) return undefined;
  const o = json;
  if (typeof o.event !== "string" || o.event.length === 0) return undefined;
  if (!isId(o.account_id) || !isId(o.chat_id) || !isId(o.message_id)) return undefined;
  if (!allStrings(o, TOP_STRINGS) || !plainId(o.provider_chat_id) || !plainId(o.provider_message_id)) return undefined;
  if (!plainBoolean(o.is_sender) || !plainBoolean(o.is_group)) return undefined;
  const out: Obj = { ...o };
  if (!(o.account_info === undefined || o.account_info === null)) {
    if (!isObject(o.account_info)) return undefined;
    out.account_info = { ...o.account_info };
  }
  if (!(o.quoted === undefined || o.quoted === null)) {
    if (!isObject(o.quoted) || !allStrings(o.quoted, QUOTED_STRINGS)) return undefined;
    out.quoted = { ...o.quoted };
  }
  for (const key of ["sender", "reaction_sender"] as const) {
    const a = attendee(o[key]);
    if (!a.ok) return undefined;
    if (key in o) out[key] = a.value;
  }
  if (!(o.attendees === undefined || o.attendees === null)) {
    if (!Array.isArray(o.attendees)) return undefined;
    const list: unknown[] = [];
    for (const item of o.attendees) {
      const a = attendee(item);
      if (!a.ok || a.value === undefined || a.value === null) return undefined;
      list.push(a.value);
    }
    out.attendees = list;
  }
  if (o.attachments === undefined || o.attachments === null) out.attachments = [];
  else {
    if (!Array.isArray(o.attachments)) return undefined;
    const list: WebhookAttachment[] = [];
    for (const item of o.attachments) {
      const a = attachment(item);
      if (!a) return undefined;
      list.push(a);
    }
    out.attachments = list;
  }
  return out as MessagingWebhook;
}
