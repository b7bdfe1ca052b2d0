/**
 * @module sends/service
 * Sending a message from CommSync: I/O around the pure decider (decider.ts).
 * Each send is a stream `message-send:<send id>`: attempts, each a request
 * then exactly one outcome. With an Idempotency-Key the send id follows from
 * the caller and the key, so of any number of copies (retries or concurrent)
 * one appends the request and reaches Unipile; the others get the decider's
 * answer, waiting for the outcome when it is still in flight. Appends go
 * through the event store's command handler, and the service answers from
 * what it appended: its stream is read once (a keyed send), never re-read.
 */
import type { Logger } from "pino";
import { getAccountForUser } from "../accounts";
import type { Sql } from "../db/client";
import { type CommandActor, commandMetadata, type EventMetadata, type EventStore } from "../event-store";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import { phoneJid } from "../lib/phone";
import { err, ok, type Result } from "../lib/result";
import type { ProjectionRunner } from "../projections/runner";
import type { UnipileFailure, UnipileGateway } from "../unipile";
import { conversationIdFor } from "../unipile/ingest";
import type { ConversationRow } from "../conversations";
import { findConversationByProviderId, findMessageInConversation, getConversationForUser } from "../conversations";
import { awaitOutcome } from "./await-outcome";
import { type Delivery, decideSend, type SendAnswer, type SendCommand, type SendState, sendModel } from "./decider";
import { type MessageSent, sendStream } from "./events";
import type { PacingRefusal, SendPacing } from "./pacing";
import { chatKeyOf, fingerprintOf, requestOf, type SendInput, sendIdFor } from "./request";

export type { OutgoingFile, SendInput } from "./request";

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

export interface Actor extends CommandActor {
  requestId: string;
}

/** A send checked against the read model: the account, the conversation (null: a new chat), the quoted message. */
interface Target {
  account: NonNullable<Awaited<ReturnType<typeof getAccountForUser>>>;
  conversation: ConversationRow | null;
  quoteUnipileMessageId: string | null;
}

/** A send whose request this call appended: where its stream stands, and the metadata its outcome shares. */
interface Attempt {
  sendId: string;
  known: { state: SendState; version: number };
  metadata: EventMetadata;
}

export type SendService = ReturnType<typeof createSendService>;

/** Where the message goes: an existing conversation, or new recipients; and the message it answers. */
async function resolveTarget({ sql }: SendServiceDeps, actor: Actor, input: SendInput): Promise<Result<Target, SendError>> {
  const account = await getAccountForUser(sql, input.accountId, actor.userId);
  if (!account) return err({ code: "ACCOUNT_NOT_FOUND" });
  let conversation: ConversationRow | null = null;
  if (input.conversationId) {
    conversation = await getConversationForUser(sql, input.conversationId, actor.userId);
    if (!conversation || conversation.accountId !== input.accountId) return err({ code: "CONVERSATION_NOT_FOUND" });
  } else if (input.recipients.length === 1 && !input.subject) {
    conversation = await findConversationByProviderId(sql, account.unipileAccountId, phoneJid(input.recipients[0] as string));
  }
  if (!input.quoteId) return ok({ account, conversation, quoteUnipileMessageId: null });
  const quoted = conversation ? await findMessageInConversation(sql, conversation.id, input.quoteId) : null;
  if (!quoted?.unipileMessageId) return err({ code: "MESSAGE_NOT_FOUND" });
  return ok({ account, conversation, quoteUnipileMessageId: quoted.unipileMessageId });
}

/** A sent message as the API answers it, once the read model shows it (one id from request to delivery). */
async function sentOutcome(deps: SendServiceDeps, sent: MessageSent["data"], at: Parameters<ProjectionRunner["waitFor"]>[0] | null, replayed: boolean): Promise<Result<SendOutcome, SendError>> {
  if (at) await deps.runner.waitFor(at);
  const conversationId = sent.unipileChatId ? conversationIdFor(sent.unipileChatId) : null;
  return ok({ messageId: sent.sendId, sendId: sent.sendId, conversationId, status: "sent", replayed });
}

/** The decider's answer to a request that appends nothing: a copy of an earlier one. */
async function answer(deps: SendServiceDeps, sendId: string, given: SendAnswer, fingerprint: string, replayed = true): Promise<Result<SendOutcome, SendError>> {
  const settled = given.kind === "in_flight" ? await awaitOutcome(deps, sendStream(sendId), fingerprint, deps.inFlightWaitMs ?? 30_000) : given;
  if (!settled) return err({ code: "SEND_IN_PROGRESS" });
  if (settled.kind === "IDEMPOTENCY_KEY_REUSED") return err({ code: "IDEMPOTENCY_KEY_REUSED" });
  if (settled.kind === "failed") return err({ code: "UPSTREAM", failure: settled.failure, messageId: settled.failed.sendId });
  return sentOutcome(deps, settled.sent, settled.at, replayed);
}

/** The message to Unipile: into the conversation's chat, or a new chat with the recipients. */
async function deliver({ gateway }: SendServiceDeps, input: SendInput, target: Target): Promise<Delivery> {
  const files = input.files.map((f) => ({ fileName: f.fileName, bytes: f.bytes }));
  const { conversation, quoteUnipileMessageId } = target;
  if (conversation) {
    const quote = quoteUnipileMessageId ? { quoteId: quoteUnipileMessageId } : {};
    const sent = await gateway.sendMessage({ chatId: conversation.unipileChatId, text: input.text, attachments: files, ...quote });
    return sent.ok ? ok({ messageId: sent.value.messageId, chatId: conversation.unipileChatId }) : sent;
  }
  const subject = input.subject ? { subject: input.subject } : {};
  const recipients = input.recipients.map(phoneJid);
  return gateway.startNewChat({ accountId: target.account.unipileAccountId, attendeeIds: recipients, text: input.text, attachments: files, ...subject });
}

/** Appends a command's decision to the send's stream, starting from what this call knows of it. */
const handle = ({ eventStore }: SendServiceDeps, sendId: string, command: SendCommand, metadata: EventMetadata, known: Attempt["known"]) =>
  eventStore.handle({ streamId: sendStream(sendId), ...sendModel, decide: (state) => decideSend(state, command), metadata, known });

/** Delivers the attempt this call requested, records its outcome, and answers from it. */
async function attempt(deps: SendServiceDeps, input: SendInput, target: Target, requested: Attempt): Promise<Result<SendOutcome, SendError>> {
  const delivery = await deliver(deps, input, target);
  const command: SendCommand = { type: "RecordDelivery", delivery, at: deps.clock.now().toISOString() };
  const recorded = await handle(deps, requested.sendId, command, requested.metadata, requested.known);
  if (!recorded.ok) return answer(deps, requested.sendId, recorded.error, fingerprintOf(input), false);
  if (!delivery.ok) {
    deps.logger.warn({ sendId: requested.sendId, failure: delivery.error }, "unipile refused a send");
    // Unipile's own failure, not the log's copy: it keeps all Unipile said.
    return err({ code: "UPSTREAM", failure: delivery.error, messageId: requested.sendId });
  }
  const [sent] = recorded.value.events;
  return sentOutcome(deps, sent?.data as MessageSent["data"], recorded.value.position, false);
}

/** Resolves the target, asks the decider, paces, records the request, then delivers it. */
async function send(deps: SendServiceDeps, actor: Actor, input: SendInput): Promise<Result<SendOutcome, SendError>> {
  const { clock } = deps;
  const target = await resolveTarget(deps, actor, input);
  if (!target.ok) return target;
  const { account, conversation } = target.value;
  const sendId = sendIdFor(actor.userId, input.idempotencyKey, deps.ids);
  const request = requestOf(input, { sendId, userId: actor.userId, unipileAccountId: account.unipileAccountId, ...target.value }, clock.now());
  const command: SendCommand = { type: "RequestSend", request };
  // A key's stream is read once, here: a copy is answered before the account's state or pacing count.
  const known = input.idempotencyKey ? await deps.eventStore.loadStream(sendStream(sendId), sendModel) : { state: sendModel.initial, version: 0 };
  const first = decideSend(known.state, command);
  if (!first.ok) return answer(deps, sendId, first.error, request.fingerprint);
  if (account.status !== "connected") return err({ code: "ACCOUNT_NOT_CONNECTED" });
  // Before anything is recorded: a paced send leaves no trace, and its Idempotency-Key stays free.
  const paced = await deps.pacing?.reserve({ accountId: input.accountId, chatKey: chatKeyOf(input, conversation), newChat: !conversation, linkedAt: account.connectedAt });
  if (paced) return err({ code: "PACED", ...paced });
  const metadata = commandMetadata(actor, clock);
  const requested = await handle(deps, sendId, { type: "RequestSend", request: { ...request, at: clock.now().toISOString() } }, metadata, known);
  if (!requested.ok) return answer(deps, sendId, requested.error, request.fingerprint);
  return attempt(deps, input, target.value, { sendId, known: { state: requested.value.state, version: requested.value.version }, metadata });
}

export function createSendService(deps: SendServiceDeps) {
  return {
    send(actor: Actor, input: SendInput): Promise<Result<SendOutcome, SendError>> {
      return send(deps, actor, input);
    },
  };
}
