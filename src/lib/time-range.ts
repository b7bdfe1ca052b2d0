/**
 * @module lib/time-range
 * The instants every layer agrees on: Postgres, `Date.toISOString` and
 * ISO-8601 all write years 0001 to 9999 (UTC) the same way. A time outside
 * (year 0000, or 10000 once an offset is applied) would be refused by
 * Postgres, so it is never let through to it. Pure.
 */

export const EARLIEST_TIME = new Date("0001-01-01T00:00:00.000Z");
export const LATEST_TIME = new Date("9999-12-31T23:59:59.999Z");

/** Whether a Date is a real instant within years 0001–9999 (UTC). */
export function isSupportedTime(date: Date): boolean {
  const t = date.getTime();
  return Number.isFinite(t) && t >= EARLIEST_TIME.getTime() && t <= LATEST_TIME.getTime();
}
