/**
 * @module sends/decider
 * What a send request gets, decided from its stream. Pure.
 *
 * A send with an Idempotency-Key has one stream per caller and key, so a
 * second request with the same key finds the first one's attempts:
 * - no attempt yet: this request is attempt 1;
 * - another request (another fingerprint) used the key: IDEMPOTENCY_KEY_REUSED;
 * - the latest attempt has no outcome yet: in flight (the copy waits for it);
 * - it was sent: the same answer again;
 * - Unipile refused it without processing it (429, 503): the next attempt;
 * - it failed otherwise: the same failure again.
 */
import type { LogPosition } from "../event-store/event";
import { err, ok, type Result } from "../lib/result";
import type { UnipileFailure } from "../unipile";
import type { MessageSendFailed, MessageSendRequested, MessageSent, SendEvent, SendOutcomeEvent } from "./events";

/** A send's stream folded: what the decider needs of it. */
export interface SendState {
  /** The first request's fingerprint: the request the key stands for. */
  fingerprint: string | null;
  /** Attempts requested so far. */
  attempts: number;
  /** Where the latest attempt goes: its send, account and chat (null: a new chat). */
  target: Pick<MessageSendRequested["data"], "sendId" | "unipileAccountId" | "unipileChatId"> | null;
  /** The latest attempt's outcome; null while it has none. */
  outcome: SendOutcomeEvent | null;
  /** Where that outcome is in the log, when it was read from there (read-your-writes for a copy). */
  outcomeAt: LogPosition | null;
}

/** A send event as read from the log (with its position) or as just decided (without). */
export type SendEventAt = SendEvent & Partial<LogPosition>;

export const NO_SEND: SendState = Object.freeze({ fingerprint: null, attempts: 0, target: null, outcome: null, outcomeAt: null });

export function evolveSend(state: SendState, event: SendEventAt): SendState {
  switch (event.type) {
    case "MessageSendRequested": {
      const { sendId, unipileAccountId, unipileChatId, fingerprint } = event.data;
      return { fingerprint: state.fingerprint ?? fingerprint, attempts: state.attempts + 1, target: { sendId, unipileAccountId, unipileChatId }, outcome: null, outcomeAt: null };
    }
    case "MessageSent":
    case "MessageSendFailed": {
      if (state.outcome) return state;
      const { transactionId, globalPosition } = event;
      const outcomeAt = transactionId !== undefined && globalPosition !== undefined ? { transactionId, globalPosition } : null;
      return { ...state, outcome: { type: event.type, data: event.data } as SendOutcomeEvent, outcomeAt };
    }
    default:
      return state;
  }
}

export const foldSend = (events: readonly SendEventAt[]): SendState => events.reduce(evolveSend, NO_SEND);

/** The request as the service made it; the decider numbers its attempt. */
export type SendRequest = Omit<MessageSendRequested["data"], "attempt">;

/** What a delivery to Unipile came to: the message's ids, or Unipile's failure. */
export type Delivery = Result<{ messageId: string | null; chatId: string | null }, UnipileFailure>;

export type SendCommand =
  | { type: "RequestSend"; request: SendRequest }
  /** What Unipile answered to the latest attempt. */
  | { type: "RecordDelivery"; delivery: Delivery; at: string };

/** The answer a request gets without an attempt of its own. */
export type SendAnswer =
  | { kind: "in_flight" }
  | { kind: "sent"; sent: MessageSent["data"]; at: LogPosition | null }
  | { kind: "failed"; failed: MessageSendFailed["data"]; failure: UnipileFailure }
  | { kind: "IDEMPOTENCY_KEY_REUSED" };

export function decideSend(state: SendState, command: SendCommand): Result<SendEvent[], SendAnswer> {
  switch (command.type) {
    case "RequestSend":
      return decideRequest(state, command.request);
    case "RecordDelivery":
      // One outcome per attempt: a second one is answered with the first.
      if (!state.target || state.outcome) return err(answerOf(state));
      return ok([outcomeOf(state.target, command.delivery, command.at)]);
    default: {
      const unexpected: never = command;
      return unexpected;
    }
  }
}

function decideRequest(state: SendState, request: SendRequest): Result<SendEvent[], SendAnswer> {
  const retry = state.outcome?.type === "MessageSendFailed" && state.outcome.data.retryable && state.fingerprint === request.fingerprint;
  if (state.attempts > 0 && !retry) return err(answerOf(state, request.fingerprint));
  const attempt = state.attempts + 1;
  const key = request.idempotencyKey === null ? undefined : `message-send:${request.userId}:${request.idempotencyKey}${attempt > 1 ? `:attempt:${attempt}` : ""}`;
  return ok([{ type: "MessageSendRequested", data: { ...request, attempt }, ...(key ? { dedupeKey: key } : {}) }]);
}

/** What a request with this fingerprint gets from the stream as it is (a copy waiting asks again). */
export function answerOf(state: SendState, fingerprint: string | null = state.fingerprint): SendAnswer {
  if (state.fingerprint !== fingerprint) return { kind: "IDEMPOTENCY_KEY_REUSED" };
  const { outcome } = state;
  if (!outcome) return { kind: "in_flight" };
  if (outcome.type === "MessageSent") return { kind: "sent", sent: outcome.data, at: state.outcomeAt };
  return { kind: "failed", failed: outcome.data, failure: failureOf(outcome.data.unipile) };
}

/** The latest attempt's outcome: sent, or failed (retryable when Unipile did not process it). */
function outcomeOf(target: NonNullable<SendState["target"]>, delivery: Delivery, at: string): SendOutcomeEvent {
  const { sendId, unipileAccountId, unipileChatId } = target;
  if (delivery.ok) {
    const { messageId, chatId } = delivery.value;
    return {
      type: "MessageSent",
      data: { sendId, unipileAccountId, unipileChatId: unipileChatId ?? chatId, unipileMessageId: messageId, newChat: unipileChatId === null, at },
    };
  }
  const failure = delivery.error;
  const http = failure.kind === "http" ? failure : null;
  const unipile: MessageSendFailed["data"]["unipile"] = {
    status: http?.status ?? null,
    type: http?.type ?? null,
    title: http?.title ?? null,
    detail: http?.detail ?? ("message" in failure ? failure.message : null),
    kind: failure.kind,
    ...(http?.retryAfterMs ? { retryAfterMs: http.retryAfterMs } : {}),
  };
  // Unipile did not process it (rate limit, unavailable): the same Idempotency-Key may try again.
  const retryable = http !== null && (http.status === 429 || http.status === 503);
  return { type: "MessageSendFailed", data: { sendId, unipileAccountId, unipileChatId, reason: "upstream", retryable, unipile, at } };
}

/** A failure as the log recorded it, back as the gateway's failure. */
export function failureOf(u: MessageSendFailed["data"]["unipile"]): UnipileFailure {
  switch (u.kind) {
    case "http":
      return { kind: "http", status: u.status ?? 502, type: u.type ?? "", title: u.title ?? "", detail: u.detail ?? "", ...(u.retryAfterMs ? { retryAfterMs: u.retryAfterMs } : {}) };
    case "timeout":
      return { kind: "timeout", timeoutMs: 0 };
    case "invalid_response":
      return { kind: "invalid_response", message: u.detail ?? "", issues: [] };
    case "invalid_request":
      return { kind: "invalid_request", message: u.detail ?? "" };
    default:
      return { kind: "network", message: u.detail ?? u.kind };
  }
}

/** The send stream's fold, for the command handler. */
export const sendModel = { initial: NO_SEND, evolve: evolveSend } as const;
