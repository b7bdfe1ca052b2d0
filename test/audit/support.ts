/**
 * Helpers for the audit tests: requests as an auditor, whole-log reads
 * through the API, and waiting for an account's stream to stop moving (status
 * webhooks and the details lookup they trigger arrive in the background).
 */
import { expect } from "bun:test";
import type { AuditEvent } from "../../src/audit";
import { waitFor } from "../sandbox/support";
import type { Harness } from "../support/harness";

export const AUDITOR = { as: "auditor-ann", roles: ["auditor"] };

export interface EventPage {
  items: AuditEvent[];
  nextCursor: string | null;
  resumeCursor: string;
}

export async function auditJson<T>(h: Harness, path: string): Promise<T> {
  const response = await h.request(path, AUDITOR);
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Every page of `/api/audit/events?<query>`, following nextCursor to the end. */
export async function readAllPages(h: Harness, query: string, limit = 50): Promise<AuditEvent[]> {
  const items: AuditEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const page: EventPage = await auditJson(h, `/api/audit/events?${query}&limit=${limit}${after ? `&after=${after}` : ""}`);
    items.push(...page.items);
    if (!page.nextCursor) return items;
    after = page.nextCursor;
  }
}

/** Log order: strictly increasing (transaction id, position) pairs. */
export function expectLogOrder(events: readonly AuditEvent[]) {
  for (let i = 1; i < events.length; i++) {
    const a = events[i - 1] as AuditEvent;
    const b = events[i] as AuditEvent;
    const ordered = BigInt(a.transactionId) < BigInt(b.transactionId) || (a.transactionId === b.transactionId && a.globalPosition < b.globalPosition);
    if (!ordered) expect(`${a.transactionId}/${a.globalPosition} before ${b.transactionId}/${b.globalPosition}`).toBe("in log order");
  }
}

/**
 * Waits until the last event matching `query` (an /api/audit/events filter)
 * stays the same for `quietMs`, and answers it.
 */
export async function settled(h: Harness, query: string, quietMs = 300): Promise<AuditEvent> {
  let last: number | undefined;
  let since = Date.now();
  return waitFor(async () => {
    const event = (await readAllPages(h, query, 1000)).at(-1);
    if (event?.globalPosition !== last) {
      last = event?.globalPosition;
      since = Date.now();
      return undefined;
    }
    return Date.now() - since >= quietMs ? event : undefined;
  }, 10000);
}

/** Waits until an account's stream and every event naming it stop moving. */
export const settledAccount = (h: Harness, unipileAccountId: string) => settled(h, `accountId=${encodeURIComponent(unipileAccountId)}`);
