/**
 * @module subscriptions/topics
 * What a subscriber receives: a feed item (the event stream's public shapes)
 * named by topic, with a stable event id derived from its log position. The
 * same log event always gives the same id, on retries and on replays. Pure.
 */
import type { FeedItem } from "../live";
import type { SubscriptionTopic } from "./events";

export const PAYLOAD_VERSION = 1;

/** The event id of a log position `<txid>-<pos>`: `evt_<txid>_<pos>`. */
export const eventIdOf = (position: string) => `evt_${position.replace("-", "_")}`;

const MESSAGE_CREATING = new Set(["MessageSendRequested", "UnipileMessageObserved"]);

/** The topic of a feed item. */
export function topicOf(item: FeedItem): SubscriptionTopic {
  const type = String(item.data.type);
  if (item.event === "message") {
    return MESSAGE_CREATING.has(type) || item.webhookEvent === "message_received" ? "message.created" : "message.updated";
  }
  if (item.event === "conversation") return "conversation.updated";
  if (type === "AccountBackfillCompleted") return "account.history_import.finished";
  if (type === "AccountBackfillStarted" || type === "AccountBackfillProgressed") return "account.history_import.progress";
  return "account.status_changed";
}

export interface WebhookPayload {
  id: string;
  type: string;
  version: number;
  /** The log position of the event, `<transaction id>-<global position>`. */
  position: string;
  /** When the event was recorded. */
  occurredAt: string;
  data: Record<string, unknown>;
}

/** The body of a delivery: small, versioned, views only (never a raw Unipile payload). */
export function payloadOf(item: FeedItem): WebhookPayload {
  const { type: _internal, ...data } = item.data;
  return { id: eventIdOf(item.id), type: topicOf(item), version: PAYLOAD_VERSION, position: item.id, occurredAt: item.at, data };
}

/** The ping `POST /api/subscriptions/:id/test` sends. */
export function pingPayload(id: string, at: string): WebhookPayload {
  return { id, type: "ping", version: PAYLOAD_VERSION, position: "", occurredAt: at, data: { message: "Test delivery from commsync-unipile" } };
}
