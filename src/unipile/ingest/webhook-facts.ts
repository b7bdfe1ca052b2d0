/**
 * @module unipile/ingest/webhook-facts
 * A classified webhook body → what the log records, with deterministic dedupe
 * keys, so Unipile's retries (up to 5 per delivery) and polled copies of the
 * same fact are stored once. Pure.
 */
import type { ClassifiedWebhook } from "../payloads";
import { chatStream, messagingDedupeKey, UNKNOWN_WEBHOOKS_STREAM } from "./keys";

/** An AccountStatus (or hosted-auth) report: deduplicated against the account's previous report. */
export interface StatusReport {
  kind: "status";
  unipileAccountId: string;
  unipileStatus: string;
  via: "webhook" | "hosted_auth";
  raw: unknown;
}

/** A fact whose dedupe key follows from the body alone. */
export interface KeyedFact {
  kind: "fact";
  streamId: string;
  type: "UnipileWebhookReceived";
  data: { kind: "messaging" | "unclassified"; event: string | null; unipileAccountId: string | null; raw: unknown; reason?: string };
  /** null: the key is the hash of the raw body (computed at the edge). */
  dedupeKey: string | null;
}

export function translateWebhook(classified: ClassifiedWebhook, raw: unknown): StatusReport | KeyedFact {
  switch (classified.kind) {
    case "account_status":
      return {
        kind: "status",
        unipileAccountId: classified.body.AccountStatus.account_id,
        unipileStatus: classified.body.AccountStatus.message,
        via: "webhook",
        raw,
      };
    case "hosted_auth":
      return { kind: "status", unipileAccountId: classified.body.account_id, unipileStatus: classified.body.status, via: "hosted_auth", raw };
    case "messaging":
      return {
        kind: "fact",
        streamId: chatStream(classified.body.chat_id),
        type: "UnipileWebhookReceived",
        data: { kind: "messaging", event: classified.body.event, unipileAccountId: classified.body.account_id, raw },
        dedupeKey: messagingDedupeKey(classified.body),
      };
    case "unknown":
      return {
        kind: "fact",
        streamId: UNKNOWN_WEBHOOKS_STREAM,
        type: "UnipileWebhookReceived",
        data: { kind: "unclassified", event: null, unipileAccountId: null, raw, reason: classified.reason },
        dedupeKey: null,
      };
    default: {
      const unexpected: never = classified;
      return unexpected;
    }
  }
}
