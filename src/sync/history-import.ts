/**
 * @module sync/history-import
 * The history import (backfill) of one account: started when one is due,
 * then a page at a time: every chat (descriptions and attendees), then every
 * message of the account, newest first. Each page's facts and the checkpoint
 * that follows them are appended in ONE statement, so a checkpoint never runs
 * ahead of its facts and a restart (on any instance) resumes at the last page
 * stored. A checkpoint that comes back as a duplicate means another instance
 * recorded that step first: this run stops.
 */
import { metrics } from "../platform/metrics";
import { err, ok, type Result } from "../lib/result";
import type { NewStreamEvent } from "../event-store/event";
import type { UnipileFailure } from "../unipile";
import { type BackfillState, backfillToStart, type SyncState } from "./decider";
import { type BackfillEvent, type BackfillRunData, backfillStartKey, backfillStepKey, backfillStream } from "./events";
import { readSyncState } from "./read-sync-state";
import { chatFailure, type RunContext, type SyncFailure, unipileFailure } from "./run-context";

/** Starts an import when one is due; the state with it. A start someone else recorded first is read back. */
export async function startImport(ctx: RunContext, state: SyncState): Promise<{ state: SyncState; started: boolean }> {
  const { deps, accountId } = ctx;
  const start = backfillToStart(ctx.input.account, state.backfill);
  if (!start) return { state, started: false };
  const now = deps.clock.now().toISOString();
  const data: BackfillRunData = {
    unipileAccountId: accountId,
    runId: deps.ids.uuid(),
    reason: start.reason,
    seq: 0,
    phase: "chats",
    cursor: null,
    chatsDone: 0,
    messagesSeen: 0,
    startedAt: now,
    at: now,
  };
  const [result] = await ctx.append([
    {
      streamId: backfillStream(accountId),
      type: "AccountBackfillStarted",
      data: { ...data, syncSuccessAt: start.syncSuccessAt },
      metadata: ctx.metadata(data.runId, "backfill"),
      dedupeKey: backfillStartKey(accountId, start.reason, start.syncSuccessAt),
    },
  ]);
  if (result?.duplicate) return { state: await readSyncState(deps.sql, accountId), started: false };
  deps.logger.info({ account: accountId, backfillRun: data.runId, reason: start.reason }, "history import started");
  return { state: { ...state, backfill: { ...data, done: false } }, started: true };
}

/** Goes on with a running import for up to `backfillSliceMs`, a page at a time. */
export async function importSlice(ctx: RunContext, backfill: BackfillState): Promise<Result<BackfillState, SyncFailure>> {
  const deadline = Date.now() + ctx.deps.backfillSliceMs;
  let current = backfill;
  while (!current.done && Date.now() < deadline) {
    const stop = await ctx.check();
    if (stop) return err(stop);
    const step = await importPage(ctx, current);
    if (!step.ok) return step;
    current = step.value;
  }
  return ok(current);
}

async function importPage(ctx: RunContext, bf: BackfillState): Promise<Result<BackfillState, SyncFailure>> {
  const { deps, accountId } = ctx;
  const meta = ctx.metadata(bf.runId, "backfill");
  const cursor = bf.cursor ? { cursor: bf.cursor } : {};
  if (bf.phase === "chats") {
    const page = await deps.gateway.listChats({ accountId, limit: deps.pageSize.chats, ...cursor });
    if (!page.ok) return restartOrFail(ctx, bf, "listChats", page.error);
    const facts = await deps.chats.listed(page.value.items, deps.clock.now(), meta);
    if (!facts.ok) return chatFailure(facts.error);
    const chatsDone = bf.chatsDone + page.value.items.length + page.value.misshapen.length;
    const next = page.value.cursor ? { cursor: page.value.cursor, chatsDone } : { phase: "messages" as const, cursor: null, chatsDone };
    return commit(ctx, [...facts.value, ...ctx.misshapenFacts(page.value.misshapen, "chat", "backfill", meta)], checkpoint(ctx, bf, next, false));
  }
  const page = await deps.gateway.listMessages({ accountId, limit: deps.pageSize.messages, ...cursor });
  if (!page.ok) return restartOrFail(ctx, bf, "listMessages", page.error);
  const facts = await ctx.messageFacts(page.value.items, "backfill", meta);
  if (!facts.ok) return chatFailure(facts.error);
  const next = { cursor: page.value.cursor, messagesSeen: bf.messagesSeen + page.value.items.length + page.value.misshapen.length };
  metrics.syncMessages.inc({ source: "history" }, page.value.items.length);
  const misshapen = ctx.misshapenFacts(page.value.misshapen, "message", "backfill", meta);
  return commit(ctx, [...facts.value.chatFacts, ...facts.value.messageFacts, ...misshapen], checkpoint(ctx, bf, next, page.value.cursor === null));
}

function checkpoint(ctx: RunContext, previous: BackfillState, next: Partial<BackfillRunData>, done: boolean): NewStreamEvent {
  const { done: _done, ...run } = previous;
  const data: BackfillRunData = { ...run, ...next, seq: previous.seq + 1, at: ctx.deps.clock.now().toISOString() };
  const type: BackfillEvent["type"] = done ? "AccountBackfillCompleted" : "AccountBackfillProgressed";
  return {
    streamId: backfillStream(ctx.accountId),
    type,
    data,
    metadata: ctx.metadata(previous.runId, "backfill"),
    dedupeKey: backfillStepKey(ctx.accountId, previous.runId, data.seq),
  };
}

/** A page's facts and its checkpoint, in one statement. */
async function commit(ctx: RunContext, facts: NewStreamEvent[], step: NewStreamEvent): Promise<Result<BackfillState, SyncFailure>> {
  // A fact the log refuses is recorded as an UnprocessableFact and the page goes on; the facts then go
  // one by one in order, so the checkpoint, last, still follows them. A refused checkpoint is a bug.
  const results = await ctx.append([...facts, step]);
  if (results.at(-1)?.unprocessable) throw new Error(`history import checkpoint ${step.dedupeKey} refused by the log`);
  if (results.at(-1)?.duplicate) return err({ kind: "superseded" });
  const data = step.data as BackfillRunData;
  const done = step.type === "AccountBackfillCompleted";
  if (done) ctx.deps.logger.info({ account: ctx.accountId, backfillRun: data.runId, chats: data.chatsDone, messages: data.messagesSeen }, "history import completed");
  return ok({ ...data, done });
}

/**
 * A cursor Unipile no longer accepts (400) restarts the phase from its first
 * page, recorded as a checkpoint whose phase count starts again: pages read
 * again are duplicates in the log, so nothing is stored twice.
 */
async function restartOrFail(ctx: RunContext, bf: BackfillState, operation: string, failure: UnipileFailure): Promise<Result<BackfillState, SyncFailure>> {
  if (!(failure.kind === "http" && failure.status === 400 && bf.cursor)) return unipileFailure(operation, failure);
  ctx.deps.logger.warn({ account: ctx.accountId, backfillRun: bf.runId, phase: bf.phase, failure }, "import cursor refused; restarting the phase");
  const restart = bf.phase === "chats" ? { cursor: null, chatsDone: 0 } : { cursor: null, messagesSeen: 0 };
  return commit(ctx, [], checkpoint(ctx, bf, restart, false));
}
