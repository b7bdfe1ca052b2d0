/**
 * @module sync/account-sync
 * One sync run for one account, under its lease:
 * 1. start a history import when one is due (history-import.ts);
 * 2. go on with a running import for a time slice (it reads newest first, so
 *    history that the poll's overlap also covers is marked as imported);
 * 3. poll the chats and messages after the poll's position (poll.ts).
 * A position or a checkpoint only moves after the facts it covers are in the
 * log. Unipile failures end the run as values, for the scheduler to back off.
 */
import { ok, type Result } from "../lib/result";
import { importSlice, startImport } from "./history-import";
import { poll, type PollReport } from "./poll";
import { readSyncState } from "./read-sync-state";
import { type AccountSyncDeps, createRunContext, type RunInput, type SyncFailure } from "./run-context";

export type { AccountSyncDeps, Continuation, RunInput, SyncFailure } from "./run-context";
export type { PollReport } from "./poll";

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
}

export function createAccountSync(deps: AccountSyncDeps) {
  return async function runAccountSync(input: RunInput): Promise<Result<RunReport, SyncFailure>> {
    const ctx = createRunContext(deps, input);
    const { state, started } = await startImport(ctx, await readSyncState(deps.sql, ctx.accountId));
    let backfill = state.backfill;
    if (backfill && !backfill.done) {
      const sliced = await importSlice(ctx, backfill);
      if (!sliced.ok) return sliced;
      backfill = sliced.value;
    }
    const polled = await poll(ctx, state);
    if (!polled.ok) return polled;
    return ok({
      unipileAccountId: ctx.accountId,
      runId: ctx.runId,
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
    });
  };
}

export type AccountSync = ReturnType<typeof createAccountSync>;
