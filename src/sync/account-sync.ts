/**
 * @module sync/account-sync
 * One sync run for one account, under its lease:
 * 1. start a history import when one is due (backfillToStart);
 * 2. go on with a running import for a time slice: a page of chats or of
 *    messages at a time, each page's facts appended in ONE statement with the
 *    checkpoint that follows them, so a checkpoint never runs ahead of its
 *    facts and a restart resumes at the last page stored;
 * 3. poll: the chats and then the messages Unipile lists after the poll's
 *    position (minus an overlap), appended as facts with the webhooks' dedupe
 *    keys, then (when worth it) `AccountSyncCompleted` with the new position.
 * A position or a checkpoint only moves after the facts it covers are in the
 * log. Unipile failures end the run as values, for the scheduler to back off.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import type { EventStore } from "../event-store";
import { compareLogPositions, type EventMetadata, type FactAppendResult, type LogPosition, type NewStreamEvent } from "../event-store/event";
import type { AccountRow } from "../accounts/account-evolve";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import { err, ok, type Result } from "../lib/result";
import { messageObservedFact } from "../messaging/facts";
import type { UnipileFailure, UnipileGateway } from "../unipile/gateway";
import type { RestMessage } from "../unipile/payloads";
import type { ChatRecorder } from "./chat-recorder";
import { advancePosition, type BackfillState, backfillToStart, pollFrom, pollTrigger, shouldRecordPoll, type SyncState, windowAfter } from "./decider";
import {
  type AccountSyncCompleted,
  type BackfillEvent,
  type BackfillRunData,
  backfillStartKey,
  backfillStepKey,
  backfillStream,
  type SyncTrigger,
  syncStepKey,
  syncStream,
} from "./events";
import { readSyncState } from "./read-sync-state";

export interface AccountSyncDeps {
  sql: Sql;
  eventStore: EventStore;
  gateway: UnipileGateway;
  chats: ChatRecorder;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  overlapMs: number;
  catchUpAfterMs: number;
  /** Unipile's list limits (1–250). */
  pageSize: { chats: number; messages: number };
  /** How long one run goes on with a history import before letting other accounts run. */
  backfillSliceMs: number;
}

/** Asked before every page: go on, or stop because the lease is gone or the service is stopping. */
export type Continuation = () => Promise<"go" | "lease_lost" | "stopping">;

export interface RunInput {
  account: AccountRow;
  /** The account's last successful run (any instance), from its lease. */
  lastSuccessAt: Date | null;
  manual: boolean;
  keepGoing: Continuation;
}

export type SyncFailure =
  | { kind: "unipile"; operation: string; failure: UnipileFailure }
  /** Another instance recorded the next step first, or took the lease: this run's work is theirs now. */
  | { kind: "superseded" }
  | { kind: "stopping" };

export interface PollReport {
  trigger: SyncTrigger;
  after: string | null;
  positionBefore: string | null;
  position: string | null;
  chatsSeen: number;
  chatsRecorded: number;
  messagesSeen: number;
  messagesNew: number;
  newMessageIds: string[];
  /** Whether the run was recorded as `AccountSyncCompleted`. */
  recorded: boolean;
}

export interface BackfillReport {
  runId: string;
  reason: string;
  state: "running" | "done";
  phase: string;
  chatsDone: number;
  messagesSeen: number;
  /** Whether this run started the import. */
  started: boolean;
}

export interface RunReport {
  unipileAccountId: string;
  runId: string;
  poll: PollReport;
  backfill: BackfillReport | null;
  /** The newest log position this run appended (for read-your-writes). */
  appendedUpTo: LogPosition | null;
}

const NEW_IDS_KEPT = 200;

export function createAccountSync(deps: AccountSyncDeps) {
  const { eventStore, gateway, chats, clock } = deps;

  return async function runAccountSync(input: RunInput): Promise<Result<RunReport, SyncFailure>> {
    const { account, keepGoing } = input;
    const accountId = account.unipileAccountId;
    const runId = deps.ids.uuid();
    let appendedUpTo: LogPosition | null = null;
    const unipile = (operation: string, failure: UnipileFailure) => err<SyncFailure>({ kind: "unipile", operation, failure });

    const metadata = (syncRunId: string, trigger: SyncTrigger | "backfill"): EventMetadata => ({
      source: "poll",
      actor: "system",
      receivedAt: clock.now().toISOString(),
      correlationId: runId,
      syncRunId,
      trigger,
    });

    async function append(facts: NewStreamEvent[]): Promise<FactAppendResult[]> {
      if (facts.length === 0) return [];
      const results = await eventStore.appendFacts(facts);
      chats.remember(facts);
      for (const r of results) {
        const position = { transactionId: r.transactionId, globalPosition: r.globalPosition };
        if (!appendedUpTo || compareLogPositions(position, appendedUpTo) > 0) appendedUpTo = position;
      }
      return results;
    }

    async function check(): Promise<SyncFailure | null> {
      const verdict = await keepGoing();
      if (verdict === "go") return null;
      return verdict === "stopping" ? { kind: "stopping" } : { kind: "superseded" };
    }

    /** Messages as facts, plus facts for chats they name that the log never described. */
    async function messageFacts(messages: readonly RestMessage[], via: "poll" | "backfill", meta: EventMetadata) {
      const at = clock.now();
      const described = await chats.named(messages.map((m) => m.chat_id), at, meta);
      if (!described.ok) return described;
      return ok({ chatFacts: described.value, messageFacts: messages.map((m) => messageObservedFact(m, via, at, meta)) });
    }

    // ---------------------------------------------------------------- import start

    async function startBackfill(state: SyncState): Promise<{ state: SyncState; started: boolean }> {
      const start = backfillToStart(account, state.backfill);
      if (!start) return { state, started: false };
      const now = clock.now().toISOString();
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
      const [result] = await append([
        {
          streamId: backfillStream(accountId),
          type: "AccountBackfillStarted",
          data: { ...data, syncSuccessAt: start.syncSuccessAt },
          metadata: metadata(data.runId, "backfill"),
          dedupeKey: backfillStartKey(accountId, start.reason, start.syncSuccessAt),
        },
      ]);
      if (result?.duplicate) return { state: await readSyncState(deps.sql, accountId), started: false };
      deps.logger.info({ account: accountId, backfillRun: data.runId, reason: start.reason }, "history import started");
      return { state: { ...state, backfill: { ...data, done: false } }, started: true };
    }

    // ---------------------------------------------------------------- poll

    async function poll(state: SyncState): Promise<Result<PollReport, SyncFailure>> {
      const trigger = pollTrigger({
        manual: input.manual,
        gapSince: account.syncGapSince,
        lastGapFilled: state.lastGapFilled,
        lastSuccessAt: input.lastSuccessAt,
        now: clock.now(),
        catchUpAfterMs: deps.catchUpAfterMs,
      });
      const from = pollFrom(state);
      const after = windowAfter(from, deps.overlapMs);
      const meta = metadata(runId, trigger);
      const window = after ? { after } : {};
      let chatsSeen = 0;
      let chatsRecorded = 0;
      let cursor: string | null = null;
      do {
        const stop = await check();
        if (stop) return err(stop);
        const page = await gateway.listChats({ accountId, limit: deps.pageSize.chats, ...(cursor ? { cursor } : window) });
        if (!page.ok) return unipile("listChats", page.error);
        const facts = await chats.listed(page.value.items, clock.now(), meta);
        if (!facts.ok) return unipile(facts.error.operation, facts.error.failure);
        await append(facts.value);
        chatsSeen += page.value.items.length;
        chatsRecorded += facts.value.length;
        cursor = page.value.cursor;
      } while (cursor);

      let messagesSeen = 0;
      const newMessageIds: string[] = [];
      let messagesNew = 0;
      const timestamps: string[] = [];
      do {
        const stop = await check();
        if (stop) return err(stop);
        const page = await gateway.listMessages({ accountId, limit: deps.pageSize.messages, ...(cursor ? { cursor } : window) });
        if (!page.ok) return unipile("listMessages", page.error);
        const facts = await messageFacts(page.value.items, "poll", meta);
        if (!facts.ok) return unipile(facts.error.operation, facts.error.failure);
        const results = await append([...facts.value.chatFacts, ...facts.value.messageFacts]);
        chatsRecorded += facts.value.chatFacts.length;
        const messageResults = results.slice(facts.value.chatFacts.length);
        page.value.items.forEach((message, i) => {
          timestamps.push(message.timestamp);
          if (messageResults[i]?.duplicate === false) {
            messagesNew += 1;
            if (newMessageIds.length < NEW_IDS_KEPT) newMessageIds.push(message.id);
          }
        });
        messagesSeen += page.value.items.length;
        cursor = page.value.cursor;
      } while (cursor);

      const position = advancePosition(from, timestamps);
      const outcome = { trigger, messagesNew, chatsRecorded, positionBefore: state.position, position };
      const report: PollReport = { ...outcome, after, chatsSeen, messagesSeen, newMessageIds, recorded: false };
      if (!shouldRecordPoll(outcome, deps.overlapMs)) return ok(report);
      const data: AccountSyncCompleted["data"] = {
        unipileAccountId: accountId,
        runId,
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
        gapSince: trigger === "gap_fill" ? (account.syncGapSince?.toISOString() ?? null) : null,
        at: clock.now().toISOString(),
      };
      const [result] = await append([
        { streamId: syncStream(accountId), type: "AccountSyncCompleted", data, metadata: meta, dedupeKey: syncStepKey(accountId, data.seq) },
      ]);
      if (result?.duplicate) return err({ kind: "superseded" });
      if (messagesNew > 0 || trigger !== "interval") {
        deps.logger.info({ account: accountId, run: runId, trigger, messagesNew, messagesSeen, position }, "sync recorded");
      }
      return ok({ ...report, recorded: true });
    }

    // ---------------------------------------------------------------- import slice

    function checkpoint(previous: BackfillState, next: Partial<BackfillRunData>, done: boolean): NewStreamEvent {
      const data: BackfillRunData = {
        unipileAccountId: accountId,
        runId: previous.runId,
        reason: previous.reason,
        seq: previous.seq + 1,
        phase: previous.phase,
        cursor: previous.cursor,
        chatsDone: previous.chatsDone,
        messagesSeen: previous.messagesSeen,
        startedAt: previous.startedAt,
        ...next,
        at: clock.now().toISOString(),
      };
      const type: BackfillEvent["type"] = done ? "AccountBackfillCompleted" : "AccountBackfillProgressed";
      return { streamId: backfillStream(accountId), type, data, metadata: metadata(previous.runId, "backfill"), dedupeKey: backfillStepKey(accountId, previous.runId, data.seq) };
    }

    /** Appends a page's facts and its checkpoint in one statement; the checkpoint being a duplicate means another instance got there first. */
    async function commit(facts: NewStreamEvent[], step: NewStreamEvent): Promise<Result<BackfillState, SyncFailure>> {
      const results = await append([...facts, step]);
      if (results.at(-1)?.duplicate) return err({ kind: "superseded" });
      const data = step.data as BackfillRunData;
      if (step.type === "AccountBackfillCompleted") {
        deps.logger.info({ account: accountId, backfillRun: data.runId, chats: data.chatsDone, messages: data.messagesSeen }, "history import completed");
      }
      return ok({ ...data, done: step.type === "AccountBackfillCompleted" });
    }

    async function backfillStep(bf: BackfillState): Promise<Result<BackfillState, SyncFailure>> {
      const meta = metadata(bf.runId, "backfill");
      const cursor = bf.cursor ? { cursor: bf.cursor } : {};
      if (bf.phase === "chats") {
        const page = await gateway.listChats({ accountId, limit: deps.pageSize.chats, ...cursor });
        if (!page.ok) return restartOrFail(bf, "listChats", page.error);
        const facts = await chats.listed(page.value.items, clock.now(), meta);
        if (!facts.ok) return unipile(facts.error.operation, facts.error.failure);
        const next = page.value.cursor
          ? { cursor: page.value.cursor, chatsDone: bf.chatsDone + page.value.items.length }
          : { phase: "messages" as const, cursor: null, chatsDone: bf.chatsDone + page.value.items.length };
        return commit(facts.value, checkpoint(bf, next, false));
      }
      const page = await gateway.listMessages({ accountId, limit: deps.pageSize.messages, ...cursor });
      if (!page.ok) return restartOrFail(bf, "listMessages", page.error);
      const facts = await messageFacts(page.value.items, "backfill", meta);
      if (!facts.ok) return unipile(facts.error.operation, facts.error.failure);
      const next = { cursor: page.value.cursor, messagesSeen: bf.messagesSeen + page.value.items.length };
      return commit([...facts.value.chatFacts, ...facts.value.messageFacts], checkpoint(bf, next, page.value.cursor === null));
    }

    /**
     * A cursor Unipile no longer accepts (400) restarts the phase from its
     * first page, recorded as a checkpoint: pages read again are duplicates,
     * nothing is counted twice in the log.
     */
    async function restartOrFail(bf: BackfillState, operation: string, failure: UnipileFailure): Promise<Result<BackfillState, SyncFailure>> {
      if (!(failure.kind === "http" && failure.status === 400 && bf.cursor)) return unipile(operation, failure);
      deps.logger.warn({ account: accountId, backfillRun: bf.runId, phase: bf.phase, failure }, "import cursor refused; restarting the phase");
      return commit([], checkpoint(bf, { cursor: null }, false));
    }

    async function backfillSlice(bf: BackfillState): Promise<Result<BackfillState, SyncFailure>> {
      const deadline = Date.now() + deps.backfillSliceMs;
      let current = bf;
      while (!current.done && Date.now() < deadline) {
        const stop = await check();
        if (stop) return err(stop);
        const step = await backfillStep(current);
        if (!step.ok) return step;
        current = step.value;
      }
      return ok(current);
    }

    // ---------------------------------------------------------------- the run

    const initial = await readSyncState(deps.sql, accountId);
    const { state, started } = await startBackfill(initial);
    // The import first: it reads newest first, so history the poll's overlap also covers is marked as imported.
    let backfill = state.backfill;
    if (backfill && !backfill.done) {
      const sliced = await backfillSlice(backfill);
      if (!sliced.ok) return sliced;
      backfill = sliced.value;
    }
    const polled = await poll(state);
    if (!polled.ok) return polled;
    return ok({
      unipileAccountId: accountId,
      runId,
      poll: polled.value,
      backfill: backfill && {
        runId: backfill.runId,
        reason: backfill.reason,
        state: backfill.done ? "done" : "running",
        phase: backfill.phase,
        chatsDone: backfill.chatsDone,
        messagesSeen: backfill.messagesSeen,
        started,
      },
      appendedUpTo,
    });
  };
}

export type AccountSync = ReturnType<typeof createAccountSync>;
