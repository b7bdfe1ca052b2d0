/**
 * @module console/format
 * Words and times the console shows.
 */
import type { AccountStatus, MessageStatus } from "./model";

export const STATUS_LABELS: Record<AccountStatus, string> = {
  pending: "Waiting for scan",
  connecting: "Connecting",
  connected: "Connected",
  credentials_required: "Needs a new scan",
  permissions_required: "Needs permissions",
  error: "Error",
  stopped: "Stopped",
  failed: "Linking failed",
  expired: "QR code expired",
  disconnected: "Disconnected",
  deleted: "Deleted at WhatsApp",
};

/** The badge's tone for each status. */
export const STATUS_TONES: Record<AccountStatus, "ok" | "wait" | "warn" | "off"> = {
  pending: "wait",
  connecting: "wait",
  connected: "ok",
  credentials_required: "warn",
  permissions_required: "warn",
  error: "warn",
  stopped: "warn",
  failed: "warn",
  expired: "warn",
  disconnected: "off",
  deleted: "off",
};

export const TICKS: Record<MessageStatus, { mark: string; label: string }> = {
  received: { mark: "", label: "received" },
  pending: { mark: "🕓", label: "pending" },
  sent: { mark: "✓", label: "sent" },
  delivered: { mark: "✓✓", label: "delivered" },
  read: { mark: "✓✓", label: "read" },
  failed: { mark: "⚠", label: "failed" },
};

export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

export function formatPhone(phone: string | null): string {
  if (!phone) return "—";
  return phone.startsWith("+") ? phone : `+${phone}`;
}

/** A fresh Idempotency-Key for one send (kept for its retries). */
export function newIdempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}
