/**
 * @module sync/poll
 * The poll of one account: the chats and then the messages Unipile lists
 * after the poll's position (minus the overlap), every page appended as facts
 * with the webhooks' dedupe keys, then, when worth it, `AccountSyncCompleted`
 * with the new position, appended only after the facts it covers.
 */
import type { EventMetadata } from "../event-store/event";
import { err, ok, type Result } from "../lib/result";
import { advancePosition, pollFrom, pollTrigger, shouldRecordPoll, type SyncState, windowAfter } from "./decider";
import { type AccountSyncCompleted, type SyncTrigger, syncStepKey, syncStream } from "./events";
import { chatFailure, type RunContext, type SyncFailure, unipileFailure } from "./run-context";

/** What a poll found: the `AccountSyncCompleted` figures, whether or not the run was recorded. */
export type PollReport = Pick<
  AccountSyncCompleted["data"],
  "trigger" | "after" | "positionBefore" | "position" | "chatsSeen" | "chatsRecorded" | "messagesSeen" | "messagesNew" | "newMessageIds"
> & {
  /** Whether the run was recorded as `AccountSyncCompleted`. */
  recorded: boolean;
};

const NEW_IDS_KEPT = 200;

/** The poll's window: after its position less the overlap, or everything on a first poll. */
type Window = { after?: string };

export async function poll(ctx: RunContext, state: SyncState): Promise<Result<PollReport, SyncFailure>> {
  const { deps, input } = ctx;
  const trigger = pollTrigger({
    manual: input.manual,
    gapSince: input.account.syncGapSince,
    lastGapFilled: state.lastGapFilled,
    lastSuccessAt: input.lastSuccessAt,
    now: deps.clock.now(),
    catchUpAfterMs: deps.catchUpAfterMs,
  });
  const from = pollFrom(state);
  const after = windowAfter(from, deps.overlapMs);
  const meta = ctx.metadata(ctx.runId, trigger);
  const window = after ? { after } : {};

  const chats = await pollChats(ctx, window, meta);
  if (!chats.ok) return chats;
  const messages = await pollMessages(ctx, window, meta);
  if (!messages.ok) return messages;
  const { messagesSeen, messagesNew, newMessageIds, timestamps } = messages.value;
  const { chatsSeen } = chats.value;
  const chatsRecorded = chats.value.chatsRecorded + messages.value.chatsRecorded;

  const position = advancePosition(from, timestamps);
  const outcome = { trigger, messagesNew, chatsRecorded, positionBefore: state.position, position };
  const report: PollReport = { ...outcome, after, chatsSeen, messagesSeen, newMessageIds, recorded: false };
  if (!shouldRecordPoll(outcome, deps.overlapMs)) return ok(report);
  return recordPoll(ctx, state, report, meta);
}

/** Every page of chats in the window, appended as facts. */
async function pollChats(ctx: RunContext, window: Window, meta: EventMetadata): Promise<Result<{ chatsSeen: number; chatsRecorded: number }, SyncFailure>> {
  const { deps, accountId } = ctx;
  let chatsSeen = 0;
  let chatsRecorded = 0;
  let chatCursor: string | null = null;
  do {
    const stop = await ctx.check();
    if (stop) return err(stop);
    const page = await deps.gateway.listChats({ accountId, limit: deps.pageSize.chats, ...(chatCursor ? { cursor: chatCursor } : window) });
    if (!page.ok) return unipileFailure("listChats", page.error);
    const facts = await deps.chats.listed(page.value.items, deps.clock.now(), meta);
    if (!facts.ok) return chatFailure(facts.error);
    await ctx.append([...facts.value, ...ctx.misshapenFacts(page.value.misshapen, "chat", "poll", meta)]);
    chatsSeen += page.value.items.length + page.value.misshapen.length;
    chatsRecorded += facts.value.length;
    chatCursor = page.value.cursor;
  } while (chatCursor);
  return ok({ chatsSeen, chatsRecorded });
}

interface MessagesPolled {
  messagesSeen: number;
  messagesNew: number;
  newMessageIds: string[];
  /** Every message's timestamp, for the new position. */
  timestamps: string[];
  /** Chats recorded on the way (a message's chat not seen before). */
  chatsRecorded: number;
}

/** Every page of messages in the window, appended as facts; counts the new ones. */
async function pollMessages(ctx: RunContext, window: Window, meta: EventMetadata): Promise<Result<MessagesPolled, SyncFailure>> {
  const { deps, accountId } = ctx;
  let chatsRecorded = 0;
  let messagesSeen = 0;
  let messagesNew = 0;
  const newMessageIds: string[] = [];
  const timestamps: string[] = [];
  let messageCursor: string | null = null;
  do {
    const stop = await ctx.check();
    if (stop) return err(stop);
    const page = await deps.gateway.listMessages({ accountId, limit: deps.pageSize.messages, ...(messageCursor ? { cursor: messageCursor } : window) });
    if (!page.ok) return unipileFailure("listMessages", page.error);
    const facts = await ctx.messageFacts(page.value.items, "poll", meta);
    if (!facts.ok) return chatFailure(facts.error);
    const misshapen = ctx.misshapenFacts(page.value.misshapen, "message", "poll", meta);
    const results = await ctx.append([...facts.value.chatFacts, ...facts.value.messageFacts, ...misshapen]);
    chatsRecorded += facts.value.chatFacts.length;
    const messageResults = results.slice(facts.value.chatFacts.length);
    page.value.items.forEach((message, i) => {
      // A message the log refused is recorded as an UnprocessableFact: the poll goes on past it.
      timestamps.push(message.timestamp);
      if (messageResults[i]?.unprocessable) deps.logger.warn({ account: accountId, run: ctx.runId, message: message.id }, "polled message refused by the log; recorded as UnprocessableFact");
      if (messageResults[i]?.duplicate !== false || messageResults[i]?.unprocessable) return;
      messagesNew += 1;
      if (newMessageIds.length < NEW_IDS_KEPT) newMessageIds.push(message.id);
    });
    messagesSeen += page.value.items.length + page.value.misshapen.length;
    messageCursor = page.value.cursor;
  } while (messageCursor);
  return ok({ messagesSeen, messagesNew, newMessageIds, timestamps, chatsRecorded });
}

/** Records the poll as `AccountSyncCompleted`, after the facts it covers; superseded when another run recorded this step. */
async function recordPoll(ctx: RunContext, state: SyncState, report: PollReport, meta: EventMetadata): Promise<Result<PollReport, SyncFailure>> {
  const { deps, accountId } = ctx;
  const { trigger, after, position, chatsSeen, chatsRecorded, messagesSeen, messagesNew, newMessageIds } = report;
  const data: AccountSyncCompleted["data"] = {
    unipileAccountId: accountId,
    runId: ctx.runId,
    seq: state.seq + 1,
    trigger,
    after,
    positionBefore: state.position,
    position,
    chatsSeen,
    chatsRecorded,
    messagesSeen,
    messagesNew,
    newMessageIds,
    gapSince: trigger === "gap_fill" ? (ctx.input.account.syncGapSince?.toISOString() ?? null) : null,
    at: deps.clock.now().toISOString(),
  };
  const [result] = await ctx.append([
    { streamId: syncStream(accountId), type: "AccountSyncCompleted", data, metadata: meta, dedupeKey: syncStepKey(accountId, data.seq) },
  ]);
  if (result?.duplicate) return err({ kind: "superseded" });
  if (messagesNew > 0 || trigger !== "interval") {
    deps.logger.info({ account: accountId, run: ctx.runId, trigger, messagesNew, messagesSeen, position }, "sync recorded");
  }
  return ok({ ...report, recorded: true });
}
