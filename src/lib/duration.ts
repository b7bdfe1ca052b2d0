/**
 * @module lib/duration
 * Durations as people write them in configuration and on the command line:
 * `45s`, `90m`, `24h`, `30d`, or plain seconds. Pure.
 */

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `"24h"` → 86400; null when the text is not a whole number of seconds, minutes, hours or days. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d{1,12})\s*([smhd]?)\s*$/.exec(text);
  if (!match) return null;
  const unit = (match[2] || "s") as keyof typeof UNIT_SECONDS;
  return Number(match[1]) * UNIT_SECONDS[unit];
}

/** 2592000 → `"30 days"`, 86400 → `"24 hours"`: the largest unit that divides it whole (days from 2 days on). */
export function formatDuration(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (seconds >= 2 * 86_400 && seconds % 86_400 === 0) return plural(seconds / 86_400, "day");
  if (seconds >= 3600 && seconds % 3600 === 0) return plural(seconds / 3600, "hour");
  if (seconds >= 60 && seconds % 60 === 0) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}
