/**
 * @module lib/phone
 * WhatsApp identifiers and phone numbers. A phone is kept as digits with the
 * country code (no `+`). A phone comes only from a phone JID
 * (`<digits>@s.whatsapp.net`, `@c.us`) or a number field, never from a
 * privacy `@lid` id, a group `@g.us` id or anything else. Pure.
 */

/** Digits with country code from `+33 6 12-34-56-78`, `0033612345678` or `33612345678`; null when it is no phone. */
export function normalizePhone(input: string | null | undefined): string | null {
  if (typeof input !== "string") return null;
  const trimmed = input.trim();
  if (!/^\+?[\d\s().-]+$/.test(trimmed)) return null;
  let digits = trimmed.replace(/\D/g, "");
  if (!trimmed.startsWith("+") && digits.startsWith("00")) digits = digits.slice(2);
  return /^[1-9]\d{7,14}$/.test(digits) ? digits : null;
}

/** The phone in a phone JID; null for `@lid`, `@g.us` and other ids. */
export function phoneFromJid(jid: string | null | undefined): string | null {
  if (typeof jid !== "string") return null;
  const match = /^(\d{8,15})(?::\d+)?@(s\.whatsapp\.net|c\.us)$/.exec(jid.trim());
  return match ? (match[1] as string) : null;
}

/** The JID Unipile expects in `attendees_ids` for a phone. */
export const phoneJid = (digits: string) => `${digits}@s.whatsapp.net`;

export const isLid = (id: string | null | undefined) => typeof id === "string" && id.endsWith("@lid");
