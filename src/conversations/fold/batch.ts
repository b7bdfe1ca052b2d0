/**
 * @module conversations/fold/batch
 * The conversations and messages as their events make them: one pure fold
 * over a batch of changes, used by the projection (live, rebuild, verify),
 * the live stream and the auditors' point-in-time views (through
 * `conversationsFold`, fold/index.ts). Facts may come in any order (see message-row.ts).
 * Pure.
 */
import type { MessagingIds } from "../../unipile/ingest";
import type { ConversationRow, MessageRow, MessagingChange } from "../model";
import { blankConversation, markRead, type Owner, withChat } from "./conversation-row";
import { arrive, followUp, laterStatus, mergeSend, pendingSend, placed, stub } from "./message-row";

export type { Owner } from "./conversation-row";

/** The rows a batch may touch, by key; `null` means known not to exist (or deleted by the batch). */
export interface MessagingState {
  /** By Unipile chat id. */
  conversations: Map<string, ConversationRow | null>;
  /** By our message id. */
  messages: Map<string, MessageRow | null>;
  /** By Unipile account id. */
  owners: Map<string, Owner | null>;
  /**
   * Our id of a Unipile message whose row is not `ids.message(unipile id)`:
   * our own sends keep their send id from request to delivery. The writer
   * loads the known ones; the fold adds those it merges.
   */
  aliases?: Map<string, string>;
}

/** Our id of a Unipile message: its send's id for our own sends, else derived from Unipile's id. */
export const messageKey = (state: Pick<MessagingState, "aliases">, ids: MessagingIds, unipileMessageId: string) =>
  state.aliases?.get(unipileMessageId) ?? ids.message(unipileMessageId);

/** What the rows of a batch cannot say alone, for the writer to apply to rows outside the batch. */
export interface MessagingEffects {
  /** Conversations of the account get this owner. */
  owners: { unipileAccountId: string; owner: Owner }[];
}

/** The keys a change needs loaded: conversations by Unipile chat id, messages by id, owners by Unipile account id. */
export function keysOf(change: MessagingChange, ids: MessagingIds) {
  const chats: string[] = [];
  const messages: string[] = [];
  const owners: string[] = [change.unipileAccountId];
  switch (change.kind) {
    case "owner":
      break;
    case "chat":
    case "marked_read":
      chats.push(change.unipileChatId);
      break;
    case "arrived":
    case "followup":
      chats.push(change.unipileChatId);
      messages.push(ids.message(change.message.unipileMessageId));
      break;
    case "send_requested":
      if (change.unipileChatId) chats.push(change.unipileChatId);
      messages.push(change.sendId);
      break;
    case "send_succeeded":
      if (change.unipileChatId) chats.push(change.unipileChatId);
      messages.push(change.sendId);
      if (change.unipileMessageId) messages.push(ids.message(change.unipileMessageId));
      break;
    case "send_failed":
      messages.push(change.sendId);
      break;
  }
  return { chats, messages, owners };
}

/** Applies changes in log order to `state` (mutated) and returns the effects. `recordedAt` is each change's log time. */
export function foldMessaging(
  state: MessagingState,
  changes: readonly { change: MessagingChange; recordedAt: Date }[],
  ids: MessagingIds,
): MessagingEffects {
  const effects: MessagingEffects = { owners: [] };
  for (const { change, recordedAt } of changes) applyChange(state, effects, change, recordedAt, ids);
  return effects;
}

/** One change's view of the batch: the state, and the account and log time the change comes with. */
interface Step {
  state: MessagingState;
  ids: MessagingIds;
  unipileAccountId: string;
  recordedAt: Date;
}

const conversationOf = (s: Step, chatId: string): ConversationRow =>
  s.state.conversations.get(chatId) ?? blankConversation(chatId, s.unipileAccountId, s.state.owners.get(s.unipileAccountId) ?? null, s.recordedAt, s.ids);
const save = (s: Step, row: ConversationRow) => s.state.conversations.set(row.unipileChatId, { ...row, updatedAt: s.recordedAt });

function applyChange(state: MessagingState, effects: MessagingEffects, change: MessagingChange, recordedAt: Date, ids: MessagingIds) {
  const s: Step = { state, ids, unipileAccountId: change.unipileAccountId, recordedAt };
  switch (change.kind) {
    case "owner":
      return applyOwner(state, effects, change);
    case "chat":
      return save(s, withChat(conversationOf(s, change.unipileChatId), change.chat));
    case "marked_read":
      return save(s, markRead(conversationOf(s, change.unipileChatId), change.at));
    case "arrived":
      return applyArrival(s, change);
    case "followup":
      return applyFollowUp(s, change);
    case "send_requested":
      return applySendRequested(s, change);
    case "send_succeeded":
      return applySendSucceeded(s, change);
    case "send_failed": {
      const pending = state.messages.get(change.sendId);
      if (pending && pending.status === "pending") {
        state.messages.set(change.sendId, { ...pending, status: "failed", failure: change.failure, updatedAt: recordedAt });
      }
      return;
    }
    default: {
      const unexpected: never = change;
      return unexpected;
    }
  }
}

type ChangeOf<K extends MessagingChange["kind"]> = Extract<MessagingChange, { kind: K }>;

function applyOwner(state: MessagingState, effects: MessagingEffects, change: ChangeOf<"owner">) {
  const owner = { accountId: change.accountId, userId: change.userId };
  state.owners.set(change.unipileAccountId, owner);
  effects.owners.push({ unipileAccountId: change.unipileAccountId, owner });
  for (const [key, row] of state.conversations) {
    if (row && row.unipileAccountId === change.unipileAccountId && row.userId === null) {
      state.conversations.set(key, { ...row, ...owner });
    }
  }
}

function applyArrival(s: Step, change: ChangeOf<"arrived">) {
  let conv = conversationOf(s, change.unipileChatId);
  const id = messageKey(s.state, s.ids, change.message.unipileMessageId);
  const before = s.state.messages.get(id) ?? null;
  const row = arrive(before, change.message, conv, id, change.unipileAccountId, s.recordedAt);
  s.state.messages.set(id, row);
  // Writing in a chat (from the phone or CommSync) reads it up to the message's time at Unipile, as
  // WhatsApp does: also when the row already arrived, since the echo of our send may come after
  // Unipile's answer merged it at the request's time (see `send_succeeded`).
  if (row.isSender) conv = markRead(conv, row.sentAt);
  save(s, conv);
}

function applyFollowUp(s: Step, change: ChangeOf<"followup">) {
  let conv = conversationOf(s, change.unipileChatId);
  const id = messageKey(s.state, s.ids, change.message.unipileMessageId);
  const before = s.state.messages.get(id) ?? stub(change.message, conv, id, change.unipileAccountId, change.at, s.recordedAt);
  const row = followUp(before, change.action, change.at, s.recordedAt);
  s.state.messages.set(id, row);
  if (change.action.type === "read" && !row.isSender) conv = markRead(conv, change.at);
  save(s, conv);
}

function applySendRequested(s: Step, change: ChangeOf<"send_requested">) {
  // Answering from CommSync reads the chat, like writing from the phone.
  const conv = change.unipileChatId ? markRead(conversationOf(s, change.unipileChatId), change.at) : null;
  if (conv) save(s, conv);
  const earlier = s.state.messages.get(change.sendId);
  // A new attempt of a refused send is pending again; a send already merged into Unipile's message is done.
  if (earlier) s.state.messages.set(change.sendId, earlier.status === "failed" ? { ...earlier, status: "pending", failure: null, updatedAt: s.recordedAt } : earlier);
  else if (earlier === undefined) s.state.messages.set(change.sendId, pendingSend(change, conv, s.recordedAt));
}

function applySendSucceeded(s: Step, change: ChangeOf<"send_succeeded">) {
  const { state, ids, recordedAt } = s;
  let conv = change.unipileChatId ? conversationOf(s, change.unipileChatId) : null;
  const pending = state.messages.get(change.sendId) ?? null;
  let confirmed: MessageRow | null;
  if (!change.unipileMessageId || !conv) {
    confirmed = pending && { ...pending, ...(conv ? placed(conv) : {}), status: laterStatus(pending.status, "sent"), updatedAt: recordedAt };
    if (confirmed) state.messages.set(change.sendId, confirmed);
  } else {
    // The message keeps the send's id (the pending row's, the answer's): an echo that came first,
    // under the id derived from Unipile's, merges into it, and later facts find it by the alias.
    const echoId = messageKey(state, ids, change.unipileMessageId);
    const echo = echoId === change.sendId ? null : (state.messages.get(echoId) ?? null);
    const id = pending ? change.sendId : echoId;
    confirmed = mergeSend(pending, echo, id, change.unipileMessageId, conv, recordedAt);
    if (confirmed) state.messages.set(id, confirmed);
    if (pending && echo) state.messages.set(echoId, null);
    if (pending) (state.aliases ??= new Map()).set(change.unipileMessageId, change.sendId);
  }
  // The reply reads the chat up to its time. Unipile's answer carries none: the row's is Unipile's when
  // the echo came first, else the request's; an echo coming later moves the mark on (see `arrived`).
  if (conv && confirmed?.arrived) conv = markRead(conv, confirmed.sentAt);
  if (conv) save(s, conv);
}

/** A change with the log time of the event it came from. */
export interface TimedChange {
  change: MessagingChange;
  recordedAt: Date;
}
