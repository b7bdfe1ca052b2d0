/**
 * @module lib/national-phone
 * A send's recipient as the caller typed it, completed to digits with country
 * code. The rule:
 * - with `+` or `00`: international, as written;
 * - 11 digits or more: digits with country code, as written;
 * - 10 digits or fewer (`123456789`, `0612345678`): a national number in the
 *   country of the account's own phone number; its trunk `0`s are dropped and
 *   that country's calling code put in front. When the account's number is
 *   not known, the caller is asked to add the country code.
 * Pure.
 */
import { normalizePhone } from "./phone";

/**
 * Two-digit calling codes. Calling codes are prefix-free: a number starts
 * with 1 or 7 (one digit), one of these (two digits), or else three digits.
 */
const TWO_DIGIT_CODES = new Set([
  "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
  "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
  "86", "90", "91", "92", "93", "94", "95", "98",
]);

/** The calling code a phone (digits with country code) starts with; null when it is no phone. */
export function callingCodeOf(phone: string | null | undefined): string | null {
  const digits = normalizePhone(phone);
  if (!digits) return null;
  if (digits.startsWith("1") || digits.startsWith("7")) return digits.slice(0, 1);
  if (TWO_DIGIT_CODES.has(digits.slice(0, 2))) return digits.slice(0, 2);
  return digits.slice(0, 3);
}

export type CompletedPhone = { ok: true; digits: string } | { ok: false; message: string };

/** The longest national number taken as national (longer bare digits carry their country code). */
export const MAX_NATIONAL_DIGITS = 10;

/** `input` as digits with country code, using the account's own phone for a national number. */
export function completePhone(input: string, accountPhone: string | null | undefined): CompletedPhone {
  const trimmed = input.trim();
  const notPhone = { ok: false as const, message: `${input} is not a phone number with country code` };
  if (trimmed.startsWith("+") || trimmed.startsWith("00")) {
    const digits = normalizePhone(trimmed);
    return digits ? { ok: true, digits } : notPhone;
  }
  if (!/^[\d\s().-]+$/.test(trimmed)) return notPhone;
  const digits = trimmed.replace(/\D/g, "");
  if (digits.length > MAX_NATIONAL_DIGITS) {
    const international = normalizePhone(digits);
    return international ? { ok: true, digits: international } : notPhone;
  }
  const code = callingCodeOf(accountPhone);
  if (!code) {
    return { ok: false, message: `${input} has no country code, and the account's own number does not say its country: add the country code (e.g. +33612345678)` };
  }
  const completed = normalizePhone(code + digits.replace(/^0+/, ""));
  return completed ? { ok: true, digits: completed } : { ok: false, message: `${input} is not a phone number; add the country code (e.g. +${code}…)` };
}

/** Whether `input` has the shape of a recipient (international, or national digits to complete). */
export function looksLikeRecipient(input: string): boolean {
  const trimmed = input.trim();
  if (trimmed.startsWith("+") || trimmed.startsWith("00")) return normalizePhone(trimmed) !== null;
  if (!/^[\d\s().-]+$/.test(trimmed)) return false;
  const digits = trimmed.replace(/\D/g, "");
  return digits.length > MAX_NATIONAL_DIGITS ? normalizePhone(digits) !== null : digits.replace(/^0+/, "").length >= 4;
}
