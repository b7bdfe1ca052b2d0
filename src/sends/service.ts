/**
 * @module sends/service
 * Sending a message from CommSync. Each send is a stream
 * `message-send:<send id>`: the request, then exactly one outcome. With an
 * Idempotency-Key the send id follows from the caller and the key, and the
 * request is appended with expected version 0, so of any number of copies
 * (retries or concurrent) exactly one reaches Unipile; the others wait for
 * its outcome and answer the same.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { getAccountForUser } from "../accounts";
import type { Sql } from "../db/client";
import type { EventStore } from "../event-store";
import type { EventMetadata, RecordedEvent } from "../event-store/event";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import { phoneJid } from "../lib/phone";
import { err, ok, type Result } from "../lib/result";
import type { ProjectionRunner } from "../projections/runner";
import type { UnipileFailure, UnipileGateway } from "../unipile";
import type { PacingRefusal, SendPacing } from "./pacing";
import { type MessageSendFailed, type MessageSendRequested, type MessageSent, sendStream } from "../conversations";
import { conversationIdFor, uuidV5 } from "../unipile/ingest";
import type { ConversationRow } from "../conversations";
import { findConversationByProviderId, findMessageInConversation, getConversationForUser } from "../conversations";

export interface OutgoingFile {
  fileName: string;
  mimetype: string;
  bytes: Uint8Array;
}

export interface SendInput {
  /** Our account id. */
  accountId: string;
  text: string;
  /** Phone digits with country code (a new chat, or the existing 1:1 chat with that phone). */
  recipients: string[];
  /** Our conversation id, to answer in it. */
  conversationId?: string;
  /** Our message id (or Unipile's) of the message answered. */
  quoteId?: string;
  /** Group name, when starting a chat with several recipients. */
  subject?: string;
  files: OutgoingFile[];
  idempotencyKey?: string;
}

export interface SendOutcome {
  messageId: string;
  sendId: string;
  conversationId: string | null;
  status: "sent";
  /** True when this answer repeats an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export type SendError =
  | { code: "ACCOUNT_NOT_FOUND" | "CONVERSATION_NOT_FOUND" | "MESSAGE_NOT_FOUND" | "ACCOUNT_NOT_CONNECTED" }
  | { code: "IDEMPOTENCY_KEY_REUSED" | "SEND_IN_PROGRESS" }
  | { code: "UPSTREAM"; failure: UnipileFailure; messageId: string }
  | ({ code: "PACED" } & PacingRefusal);

export interface SendServiceDeps {
  sql: Sql;
  eventStore: EventStore;
  gateway: UnipileGateway;
  runner: ProjectionRunner;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  /** Pace per WhatsApp account (send-pacing.ts); none: unpaced. */
  pacing?: SendPacing;
  /** How long a copy waits for the outcome of the send its key started. @default 30000 */
  inFlightWaitMs?: number;
}

export interface Actor {
  userId: string;
  requestId: string;
}

export type SendService = ReturnType<typeof createSendService>;

export function createSendService(deps: SendServiceDeps) {
  const { sql, eventStore, gateway, clock } = deps;

  /** Where the message goes: an existing conversation, or new recipients. */
  async function resolveTarget(actor: Actor, input: SendInput, unipileAccountId: string): Promise<Result<ConversationRow | null, SendError>> {
    if (input.conversationId) {
      const conversation = await getConversationForUser(sql, input.conversationId, actor.userId);
      if (!conversation || conversation.accountId !== input.accountId) return err({ code: "CONVERSATION_NOT_FOUND" });
      return ok(conversation);
    }
    if (input.recipients.length === 1 && !input.subject) {
      return ok(await findConversationByProviderId(sql, unipileAccountId, phoneJid(input.recipients[0] as string)));
    }
    return ok(null);
  }

  /** The outcome of the stream's latest attempt, as an answer; null while it has none. */
  async function outcomeOf(events: RecordedEvent[], replayed: boolean): Promise<Result<SendOutcome, SendError> | null> {
    const attempt = events.findLastIndex((e) => e.type === "MessageSendRequested");
    const outcome = events.slice(attempt + 1).find((e) => e.type === "MessageSent" || e.type === "MessageSendFailed");
    if (!outcome) return null;
    if (outcome.type === "MessageSent") {
      const data = outcome.data as MessageSent["data"];
      // One id from request to delivery: the message keeps the send's id (see message-aliases).
      const messageId = data.sendId;
      await deps.runner.waitFor({ transactionId: outcome.transactionId, globalPosition: outcome.globalPosition });
      const conversationId = data.unipileChatId ? conversationIdFor(data.unipileChatId) : null;
      return ok({ messageId, sendId: data.sendId, conversationId, status: "sent", replayed });
    }
    const data = outcome.data as MessageSendFailed["data"];
    return err({ code: "UPSTREAM", failure: failureOf(data.unipile), messageId: data.sendId });
  }

  /** A copy of a send already requested: the same answer once its latest attempt has an outcome. */
  async function awaitEarlier(sendId: string, fingerprint: string): Promise<Result<SendOutcome, SendError>> {
    const deadline = Date.now() + (deps.inFlightWaitMs ?? 30_000);
    for (;;) {
      const events = await eventStore.readStream(sendStream(sendId));
      const requested = events.find((e) => e.type === "MessageSendRequested");
      if (requested && (requested.data as MessageSendRequested["data"]).fingerprint !== fingerprint) return err({ code: "IDEMPOTENCY_KEY_REUSED" });
      const outcome = await outcomeOf(events, true);
      if (outcome) return outcome;
      if (Date.now() >= deadline) return err({ code: "SEND_IN_PROGRESS" });
      await Bun.sleep(50);
    }
  }

  /**
   * Where a keyed send stands: a new one (attempt 1 at version 0), an earlier
   * one to answer like (null), or one whose latest attempt Unipile refused
   * without processing it (429, 503), which the same key may try again.
   */
  async function nextAttempt(sendId: string, fingerprint: string): Promise<{ attempt: number; version: number } | null> {
    const events = await eventStore.readStream(sendStream(sendId));
    const last = events.at(-1);
    if (!last) return { attempt: 1, version: 0 };
    const requested = events.filter((e) => e.type === "MessageSendRequested");
    const sameRequest = (requested[0]?.data as MessageSendRequested["data"] | undefined)?.fingerprint === fingerprint;
    if (sameRequest && last.type === "MessageSendFailed" && (last.data as MessageSendFailed["data"]).retryable) {
      return { attempt: requested.length + 1, version: last.streamVersion };
    }
    return null;
  }

  return {
    async send(actor: Actor, input: SendInput): Promise<Result<SendOutcome, SendError>> {
      const account = await getAccountForUser(sql, input.accountId, actor.userId);
      if (!account) return err({ code: "ACCOUNT_NOT_FOUND" });
      const target = await resolveTarget(actor, input, account.unipileAccountId);
      if (!target.ok) return target;
      const conversation = target.value;
      let quoteUnipileMessageId: string | null = null;
      if (input.quoteId) {
        const quoted = conversation ? await findMessageInConversation(sql, conversation.id, input.quoteId) : null;
        if (!quoted?.unipileMessageId) return err({ code: "MESSAGE_NOT_FOUND" });
        quoteUnipileMessageId = quoted.unipileMessageId;
      }
      const fingerprint = fingerprintOf(input);
      const key = input.idempotencyKey;
      const sendId = key ? uuidV5(`message-send:${actor.userId}:${key}`) : deps.ids.uuid();
      const next = key ? await nextAttempt(sendId, fingerprint) : { attempt: 1, version: 0 };
      if (!next) return awaitEarlier(sendId, fingerprint);
      if (account.status !== "connected") return err({ code: "ACCOUNT_NOT_CONNECTED" });
      // Before anything is recorded: a paced send leaves no trace, and its Idempotency-Key stays free.
      const paced = await deps.pacing?.reserve({ accountId: input.accountId, chatKey: chatKeyOf(input, conversation), newChat: !conversation, linkedAt: account.connectedAt });
      if (paced) return err({ code: "PACED", ...paced });

      const metadata: EventMetadata = { source: "command", actor: actor.userId, requestId: actor.requestId, receivedAt: clock.now().toISOString() };
      const requested: MessageSendRequested["data"] = {
        sendId,
        attempt: next.attempt,
        userId: actor.userId,
        accountId: input.accountId,
        unipileAccountId: account.unipileAccountId,
        unipileChatId: conversation?.unipileChatId ?? null,
        recipients: conversation ? [] : input.recipients,
        text: input.text,
        attachments: input.files.map((f) => ({ id: null, type: null, fileName: f.fileName, mimetype: f.mimetype, size: f.bytes.byteLength, unavailable: false })),
        quoteUnipileMessageId,
        fingerprint,
        idempotencyKey: key ?? null,
        at: clock.now().toISOString(),
      };
      const dedupeKey = key ? `message-send:${actor.userId}:${key}${next.attempt > 1 ? `:attempt:${next.attempt}` : ""}` : undefined;
      const appended = await eventStore.appendToStream(
        sendStream(sendId),
        [{ type: "MessageSendRequested", data: requested, metadata, ...(dedupeKey ? { dedupeKey } : {}) }],
        { expectedVersion: next.version },
      );
      if (!appended.ok) return awaitEarlier(sendId, fingerprint);

      const sent = await deliver(input, account.unipileAccountId, conversation, quoteUnipileMessageId);
      const at = clock.now().toISOString();
      const outcome = sent.ok
        ? { type: "MessageSent" as const, data: { sendId, unipileAccountId: account.unipileAccountId, unipileChatId: conversation?.unipileChatId ?? sent.value.chatId, unipileMessageId: sent.value.messageId, newChat: !conversation, at } satisfies MessageSent["data"] }
        : { type: "MessageSendFailed" as const, data: failedData(sendId, account.unipileAccountId, conversation?.unipileChatId ?? null, sent.error, at) };
      const stored = await eventStore.appendToStream(sendStream(sendId), [{ ...outcome, metadata }], { expectedVersion: appended.value.nextVersion });
      if (!stored.ok) throw new Error(`send ${sendId}: outcome not recorded (${stored.error.code})`);
      if (!sent.ok) {
        deps.logger.warn({ sendId, failure: sent.error }, "unipile refused a send");
        // Unipile's own failure, not the log's copy: it keeps all Unipile said.
        return err({ code: "UPSTREAM", failure: sent.error, messageId: sendId });
      }
      return (await outcomeOf(await eventStore.readStream(sendStream(sendId)), false)) ?? err({ code: "SEND_IN_PROGRESS" });
    },
  };

  /** The message to Unipile: into the conversation's chat, or a new chat with the recipients. */
  async function deliver(input: SendInput, unipileAccountId: string, conversation: ConversationRow | null, quoteUnipileMessageId: string | null) {
    const files = input.files.map((f) => ({ fileName: f.fileName, bytes: f.bytes }));
    if (conversation) {
      const sent = await gateway.sendMessage({ chatId: conversation.unipileChatId, text: input.text, attachments: files, ...(quoteUnipileMessageId ? { quoteId: quoteUnipileMessageId } : {}) });
      return sent.ok ? ok({ messageId: sent.value.messageId, chatId: conversation.unipileChatId }) : sent;
    }
    return gateway.startNewChat({ accountId: unipileAccountId, attendeeIds: input.recipients.map(phoneJid), text: input.text, attachments: files, ...(input.subject ? { subject: input.subject } : {}) });
  }
}

/** A failure as the log recorded it, back as the gateway's failure. */
function failureOf(u: MessageSendFailed["data"]["unipile"]): UnipileFailure {
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

function failedData(sendId: string, unipileAccountId: string, unipileChatId: string | null, failure: UnipileFailure, at: string): MessageSendFailed["data"] {
  const http = failure.kind === "http" ? failure : null;
  return {
    sendId,
    unipileAccountId,
    unipileChatId,
    reason: "upstream",
    // Unipile did not process it (rate limit, unavailable): the same Idempotency-Key may try again.
    retryable: http !== null && (http.status === 429 || http.status === 503),
    unipile: {
      status: http?.status ?? null,
      type: http?.type ?? null,
      title: http?.title ?? null,
      detail: http?.detail ?? ("message" in failure ? failure.message : null),
      kind: failure.kind,
      ...(http?.retryAfterMs ? { retryAfterMs: http.retryAfterMs } : {}),
    },
    at,
  };
}

/** What makes two requests the same send: a reused Idempotency-Key with another request is refused. */
function fingerprintOf(input: SendInput): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify([input.accountId, input.conversationId ?? null, input.recipients, input.text, input.quoteId ?? null, input.subject ?? null]));
  for (const file of input.files) hash.update(file.fileName).update(file.mimetype).update(file.bytes);
  return hash.digest("hex");
}

/** The chat a send goes to, for the gap between two messages to one chat. */
function chatKeyOf(input: SendInput, conversation: ConversationRow | null): string {
  return conversation ? `conversation:${conversation.id}` : `new:${input.accountId}:${[...input.recipients].sort().join(",")}`;
}
