/**
 * What a send request gets, given its stream: given the events so far, when a
 * command comes, then the events to append or the answer to give back.
 */
import { describe, expect, test } from "bun:test";
import { err, ok } from "../../src/lib/result";
import { answerOf, decideSend, type Delivery, foldSend, type SendCommand, type SendEventAt, type SendRequest } from "../../src/sends/decider";
import type { MessageSendFailed, MessageSendRequested, MessageSent, SendEvent } from "../../src/sends/events";
import type { UnipileFailure } from "../../src/unipile/gateway";

const SEND = "5b0c8f1e-3a9d-5c4b-8e2f-1a7d6c9b0e3f";
const ACCOUNT = "kR2mXq7vT0aLpYw3zN8bHg";
const CHAT = "chat-1";
const AT = "2026-01-01T10:00:00.000Z";

const request = (overrides: Partial<SendRequest> = {}): SendRequest => ({
  sendId: SEND,
  userId: "alice",
  accountId: "acc-1",
  unipileAccountId: ACCOUNT,
  unipileChatId: CHAT,
  recipients: [],
  text: "Bonjour",
  attachments: [],
  quoteUnipileMessageId: null,
  fingerprint: "f1",
  idempotencyKey: "key-1",
  at: AT,
  ...overrides,
});
const requested = (attempt: number, overrides: Partial<SendRequest> = {}): MessageSendRequested => ({ type: "MessageSendRequested", data: { ...request(overrides), attempt } });
const sent = (overrides: Partial<MessageSent["data"]> = {}): MessageSent => ({
  type: "MessageSent",
  data: { sendId: SEND, unipileAccountId: ACCOUNT, unipileChatId: CHAT, unipileMessageId: "m-1", newChat: false, at: AT, ...overrides },
});
const failed = (status: number, overrides: Partial<MessageSendFailed["data"]> = {}): MessageSendFailed => ({
  type: "MessageSendFailed",
  data: {
    sendId: SEND,
    unipileAccountId: ACCOUNT,
    unipileChatId: CHAT,
    reason: "upstream",
    retryable: status === 429 || status === 503,
    unipile: { status, type: "errors/x", title: "X", detail: "no", kind: "http" },
    at: AT,
    ...overrides,
  },
});
const http = (status: number, extra: Partial<Extract<UnipileFailure, { kind: "http" }>> = {}): UnipileFailure => ({ kind: "http", status, type: "errors/x", title: "X", detail: "no", ...extra });

/** Given these events (as read from the log), when the command comes. */
const given = (...events: SendEventAt[]) => ({ when: (command: SendCommand) => decideSend(foldSend(events), command) });
const requestSend = (overrides: Partial<SendRequest> = {}): SendCommand => ({ type: "RequestSend", request: request(overrides) });
const delivered = (delivery: Delivery): SendCommand => ({ type: "RecordDelivery", delivery, at: AT });
const appended = (...events: SendEvent[]) => ok(events);

describe("a send request", () => {
  test("on a new stream: attempt 1, keyed by the caller and the Idempotency-Key", () => {
    expect(given().when(requestSend())).toEqual(appended({ ...requested(1), dedupeKey: "message-send:alice:key-1" } as SendEvent));
  });

  test("without an Idempotency-Key: attempt 1 with no dedupe key", () => {
    const decided = given().when(requestSend({ idempotencyKey: null }));
    expect(decided).toEqual(appended(requested(1, { idempotencyKey: null })));
  });

  test("the same request again while the first is in flight: in flight, nothing appended", () => {
    expect(given(requested(1)).when(requestSend())).toEqual(err({ kind: "in_flight" }));
  });

  test("the same request after it was sent: the same answer, with where the outcome is in the log", () => {
    const position = { transactionId: "812", globalPosition: 42 };
    expect(given(requested(1), { ...sent(), ...position }).when(requestSend())).toEqual(err({ kind: "sent", sent: sent().data, at: position }));
    expect(given(requested(1), sent()).when(requestSend())).toEqual(err({ kind: "sent", sent: sent().data, at: null }));
  });

  test("another request with the same key: IDEMPOTENCY_KEY_REUSED, whatever the stream's state", () => {
    for (const events of [[requested(1)], [requested(1), sent()], [requested(1), failed(429)], [requested(1), failed(422)]]) {
      expect(given(...events).when(requestSend({ fingerprint: "f2" }))).toEqual(err({ kind: "IDEMPOTENCY_KEY_REUSED" }));
    }
  });

  test("the same request after Unipile refused without processing it (429, 503): the next attempt, keyed by its number", () => {
    expect(given(requested(1), failed(429)).when(requestSend())).toEqual(appended({ ...requested(2), dedupeKey: "message-send:alice:key-1:attempt:2" } as SendEvent));
    expect(given(requested(1), failed(503), requested(2), failed(429)).when(requestSend())).toEqual(
      appended({ ...requested(3), dedupeKey: "message-send:alice:key-1:attempt:3" } as SendEvent),
    );
  });

  test("the same request after any other failure: that failure again, as the gateway's", () => {
    expect(given(requested(1), failed(422)).when(requestSend())).toEqual(
      err({ kind: "failed", failed: failed(422).data, failure: { kind: "http", status: 422, type: "errors/x", title: "X", detail: "no" } }),
    );
    const timeout = failed(0, { unipile: { status: null, type: null, title: null, detail: null, kind: "timeout" } });
    expect(answerOf(foldSend([requested(1), timeout]))).toMatchObject({ kind: "failed", failure: { kind: "timeout" } });
  });

  test("a retried attempt in flight, then sent: answered from the latest attempt", () => {
    expect(given(requested(1), failed(429), requested(2)).when(requestSend())).toEqual(err({ kind: "in_flight" }));
    expect(given(requested(1), failed(429), requested(2), sent()).when(requestSend())).toMatchObject(err({ kind: "sent" }));
  });
});

describe("recording a delivery", () => {
  test("into a known chat: MessageSent with Unipile's message id", () => {
    expect(given(requested(1)).when(delivered(ok({ messageId: "m-1", chatId: CHAT })))).toEqual(appended(sent()));
  });

  test("to a new chat: MessageSent with the chat Unipile started", () => {
    const newChat = requested(1, { unipileChatId: null, recipients: ["33612345678"] });
    expect(given(newChat).when(delivered(ok({ messageId: null, chatId: "chat-new" })))).toEqual(
      appended(sent({ unipileChatId: "chat-new", unipileMessageId: null, newChat: true })),
    );
  });

  test("a failure Unipile did not process is retryable (429 with its Retry-After, 503); others are not", () => {
    const [rateLimited] = (given(requested(1)).when(delivered(err(http(429, { retryAfterMs: 2000 })))) as { value: SendEvent[] }).value;
    expect(rateLimited).toEqual({ ...failed(429), data: { ...failed(429).data, unipile: { ...failed(429).data.unipile, retryAfterMs: 2000 } } });
    expect(given(requested(1)).when(delivered(err(http(503))))).toEqual(appended(failed(503)));
    expect(given(requested(1)).when(delivered(err(http(422))))).toEqual(appended(failed(422)));
    const network = given(requested(1)).when(delivered(err({ kind: "network", message: "reset" })));
    expect(network).toEqual(
      appended(failed(0, { retryable: false, unipile: { status: null, type: null, title: null, detail: "reset", kind: "network" } })),
    );
  });

  test("an attempt has one outcome: a second delivery is answered with the first", () => {
    expect(given(requested(1), sent()).when(delivered(err(http(503))))).toEqual(err({ kind: "sent", sent: sent().data, at: null }));
  });
});
