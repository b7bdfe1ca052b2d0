/**
 * @module sends/recipients
 * A send's recipients as digits with country code: bare national digits
 * (`123456789`) are completed with the country of the account's own phone
 * number (see lib/national-phone); when that cannot be done the answer is a
 * 400 that says to add the country code.
 */
import { getAccountForUser } from "../accounts";
import type { Queryable } from "../db/client";
import { ApiError } from "../http/errors";
import { completePhone, MAX_NATIONAL_DIGITS } from "../lib/national-phone";

const isNational = (r: string) => !/^\s*(\+|00)/.test(r) && r.replace(/\D/g, "").length <= MAX_NATIONAL_DIGITS;

export async function completeRecipients(sql: Queryable, userId: string, accountId: string, recipients: readonly string[]): Promise<string[]> {
  const accountPhone = recipients.some(isNational) ? ((await getAccountForUser(sql, accountId, userId))?.phoneNumber ?? null) : null;
  const issues: { path: string; message: string }[] = [];
  const digits = recipients.map((r, i) => {
    const completed = completePhone(r, accountPhone);
    if (completed.ok) return completed.digits;
    issues.push({ path: `recipients.${i}`, message: completed.message });
    return "";
  });
  if (issues.length > 0) throw new ApiError("VALIDATION_FAILED", issues.map((i) => i.message).join("; "), issues);
  return digits;
}
