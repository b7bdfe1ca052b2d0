/**
 * @module subscriptions/subscription-evolve
 * A subscription's row, folded from its events. Pure. The row remembers the
 * log position of its creation: delivery starts after it.
 */
import type { SubscriptionEvent } from "./events";

export interface SubscriptionRow {
  id: string;
  userId: string;
  url: string;
  events: string[];
  accountIds: string[] | null;
  description: string;
  enabled: boolean;
  disabledReason: string | null;
  secretVersion: number;
  createdTransactionId: string;
  createdPosition: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Positioned {
  transactionId: string;
  globalPosition: number;
}

export function evolveSubscription(row: SubscriptionRow | null, event: SubscriptionEvent, at: Positioned): SubscriptionRow | null {
  switch (event.type) {
    case "SubscriptionCreated": {
      if (row) return row;
      const d = event.data;
      return {
        id: d.subscriptionId,
        userId: d.userId,
        url: d.url,
        events: [...d.events],
        accountIds: d.accountIds ? [...d.accountIds] : null,
        description: d.description,
        enabled: d.enabled,
        disabledReason: null,
        secretVersion: d.secretVersion,
        createdTransactionId: at.transactionId,
        createdPosition: at.globalPosition,
        createdAt: new Date(d.at),
        updatedAt: new Date(d.at),
      };
    }
    case "SubscriptionUpdated": {
      if (!row) return row;
      const { subscriptionId: _id, at: when, ...changes } = event.data;
      const next: SubscriptionRow = { ...row, ...definedOnly(changes), updatedAt: new Date(when) };
      if (changes.enabled === true) next.disabledReason = null;
      return next;
    }
    case "SubscriptionSecretRotated":
      return row ? { ...row, secretVersion: event.data.secretVersion, updatedAt: new Date(event.data.at) } : row;
    case "SubscriptionDisabled":
      return row ? { ...row, enabled: false, disabledReason: event.data.reason, updatedAt: new Date(event.data.at) } : row;
    case "SubscriptionDeleted":
      return null;
    default: {
      const unexpected: never = event;
      return unexpected;
    }
  }
}

function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;
}
