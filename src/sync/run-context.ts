/**
 * @module sync/run-context
 * What every part of one account's sync run shares: its dependencies and
 * input, its id, the metadata its facts carry, the append that remembers the
 * chats it described, and the question asked before every page (lease still
 * ours? stopping?).
 */
import type { Logger } from "pino";
import type { AccountRow } from "../accounts";
import type { Sql } from "../db/client";
import { type EventStore, systemMetadata } from "../event-store";
import type { EventMetadata, FactAppendResult, NewStreamEvent } from "../event-store/event";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import { err, ok, type Err, type Result } from "../lib/result";
import { messageObservedFact, misshapenChatFact, misshapenMessageFact } from "../unipile/ingest";
import type { UnipileFailure, UnipileGateway } from "../unipile";
import type { Misshapen, RestMessage } from "../unipile";
import type { ChatFailure, ChatRecorder } from "./chat-recorder";
import type { SyncTrigger } from "./events";

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

export const unipileFailure = (operation: string, failure: UnipileFailure): Err<SyncFailure> => err({ kind: "unipile", operation, failure });
export const chatFailure = (failure: ChatFailure): Err<SyncFailure> => unipileFailure(failure.operation, failure.failure);

export interface RunContext {
  deps: AccountSyncDeps;
  input: RunInput;
  accountId: string;
  runId: string;
  /** What the run's facts say about themselves; `syncRunId` is the import's id for imported facts. */
  metadata(syncRunId: string, trigger: SyncTrigger | "backfill"): EventMetadata;
  append(facts: NewStreamEvent[]): Promise<FactAppendResult[]>;
  /** Null to go on; else why the run must stop. */
  check(): Promise<SyncFailure | null>;
  /** Messages as facts, plus facts for the chats they name that the log never described. */
  messageFacts(messages: readonly RestMessage[], via: "poll" | "backfill", meta: EventMetadata): Promise<Result<{ chatFacts: NewStreamEvent[]; messageFacts: NewStreamEvent[] }, ChatFailure>>;
  /** Facts for listed items of an unexpected shape (`misshapenMessageFact`): recorded, never a failed page. */
  misshapenFacts(items: readonly Misshapen[], kind: "message" | "chat", via: "poll" | "backfill", meta: EventMetadata): NewStreamEvent[];
}

export function createRunContext(deps: AccountSyncDeps, input: RunInput): RunContext {
  const runId = deps.ids.uuid();
  return {
    deps,
    input,
    accountId: input.account.unipileAccountId,
    runId,
    metadata: (syncRunId, trigger) => systemMetadata("poll", deps.clock, { correlationId: runId, syncRunId, trigger }),
    async append(facts) {
      if (facts.length === 0) return [];
      const results = await deps.eventStore.appendFacts(facts);
      deps.chats.remember(facts);
      return results;
    },
    async check() {
      const verdict = await input.keepGoing();
      if (verdict === "go") return null;
      return verdict === "stopping" ? { kind: "stopping" } : { kind: "superseded" };
    },
    async messageFacts(messages, via, meta) {
      const at = deps.clock.now();
      const described = await deps.chats.named(messages.map((m) => m.chat_id), at, meta);
      if (!described.ok) return described;
      return ok({ chatFacts: described.value, messageFacts: messages.map((m) => messageObservedFact(m, via, at, meta)) });
    },
    misshapenFacts(items, kind, via, meta) {
      if (items.length > 0) deps.logger.warn({ account: input.account.unipileAccountId, run: runId, kind, items: items.length, issues: items[0]?.issues }, "Unipile listed items of an unexpected shape; recorded as they came");
      const at = deps.clock.now();
      return items.map((m) => (kind === "message" ? misshapenMessageFact(m, via, at, meta) : misshapenChatFact(m, at, meta)));
    },
  };
}
