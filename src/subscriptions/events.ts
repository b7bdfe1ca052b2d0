/**
 * @module subscriptions/events
 * The durable contract of a webhook subscription's life, one stream per
 * subscription (`subscription:<id>`). The signing secret is never here: the
 * log keeps only which secret version is current; the secrets themselves live
 * in their own table (auditors export the whole log). Pure.
 */

export const subscriptionStream = (subscriptionId: string) => `subscription:${subscriptionId}`;

/** What a subscription may ask for: single topics, or a group (`message.*`, …). */
export const SUBSCRIPTION_TOPICS = [
  "message.created",
  "message.updated",
  "conversation.updated",
  "account.status_changed",
  "account.history_import.progress",
  "account.history_import.finished",
] as const;
export type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number];
export const SUBSCRIPTION_GROUPS = ["message.*", "conversation.*", "account.*"] as const;
export const SUBSCRIPTION_EVENT_NAMES: readonly string[] = [...SUBSCRIPTION_TOPICS, ...SUBSCRIPTION_GROUPS];

export interface SubscriptionSettings {
  url: string;
  events: string[];
  /** Unipile account ids the subscription is limited to; null: every account of the user. */
  accountIds: string[] | null;
  description: string;
  enabled: boolean;
}

export interface SubscriptionCreated {
  type: "SubscriptionCreated";
  data: SubscriptionSettings & { subscriptionId: string; userId: string; secretVersion: number; at: string };
}

export interface SubscriptionUpdated {
  type: "SubscriptionUpdated";
  data: Partial<SubscriptionSettings> & { subscriptionId: string; at: string };
}

export interface SubscriptionSecretRotated {
  type: "SubscriptionSecretRotated";
  data: { subscriptionId: string; secretVersion: number; previousValidUntil: string; at: string };
}

export interface SubscriptionDisabled {
  type: "SubscriptionDisabled";
  data: { subscriptionId: string; reason: string; failures: number; lastError: string | null; at: string };
}

export interface SubscriptionDeleted {
  type: "SubscriptionDeleted";
  data: { subscriptionId: string; at: string };
}

export type SubscriptionEvent = SubscriptionCreated | SubscriptionUpdated | SubscriptionSecretRotated | SubscriptionDisabled | SubscriptionDeleted;

export const SUBSCRIPTION_EVENT_TYPES: readonly SubscriptionEvent["type"][] = [
  "SubscriptionCreated",
  "SubscriptionUpdated",
  "SubscriptionSecretRotated",
  "SubscriptionDisabled",
  "SubscriptionDeleted",
];

export const isSubscriptionEvent = (event: { type: string }): event is SubscriptionEvent =>
  (SUBSCRIPTION_EVENT_TYPES as readonly string[]).includes(event.type);

/** Whether a topic is one a subscription's `events` list asks for. */
export function wantsTopic(events: readonly string[], topic: string): boolean {
  return events.some((e) => e === topic || (e.endsWith(".*") && topic.startsWith(e.slice(0, -1))));
}
