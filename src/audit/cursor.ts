/**
 * @module audit/cursor
 * The opaque page cursors of the audit API. A log cursor holds the
 * `(transaction_id, global_position)` PAIR of the last event served, never the
 * position alone: positions commit out of order, and a reader resuming from a
 * position would skip late commits (EVENT-SOURCING.md rule 1). A stream cursor
 * holds a stream version. Each is tagged, so a cursor of one kind handed to the
 * other route is refused instead of misread. Pure.
 */
import type { LogPosition } from "../event-store/event";

const LOG_CURSOR = /^l1\.(\d{1,20})\.(\d{1,16})$/;
const STREAM_CURSOR = /^s1\.(\d{1,16})$/;
/** xid8 is an unsigned 64-bit integer; anything larger would fail in Postgres, not here. */
const MAX_XID8 = 18_446_744_073_709_551_615n;

const encode = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

function decode(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(cursor)) return null;
  try {
    return atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
}

const safeNumber = (digits: string): number | null => {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : null;
};

export function encodeLogCursor(position: LogPosition): string {
  return encode(`l1.${position.transactionId}.${position.globalPosition}`);
}

/** The position a log cursor stands for; null when it is not one of ours. */
export function decodeLogCursor(cursor: string): LogPosition | null {
  const match = LOG_CURSOR.exec(decode(cursor) ?? "");
  if (!match?.[1] || !match[2]) return null;
  const globalPosition = safeNumber(match[2]);
  if (globalPosition === null || BigInt(match[1]) > MAX_XID8) return null;
  return { transactionId: BigInt(match[1]).toString(), globalPosition };
}

export function encodeStreamCursor(streamVersion: number): string {
  return encode(`s1.${streamVersion}`);
}

/** The stream version a stream cursor stands for; null when it is not one of ours. */
export function decodeStreamCursor(cursor: string): number | null {
  const match = STREAM_CURSOR.exec(decode(cursor) ?? "");
  return match?.[1] ? safeNumber(match[1]) : null;
}
