/**
 * @module event-store/group-commit
 * Group commit for external facts. Facts appended concurrently (webhooks
 * arriving together) go to the log in one `appendFacts` statement, hence one
 * commit and one WAL flush, and each caller is answered with its own result
 * only after that commit. Nothing waits on purpose: facts that find a
 * statement slot free go at once; those arriving while the slots are busy
 * form the next batch. Under load the batches grow by themselves; at rest
 * each fact is its own statement.
 */
import type { Sql } from "../db/client";
import { isConnectionFailure } from "../db/errors";
import { appendFacts } from "./append-facts";
import type { FactAppendResult, NewStreamEvent } from "./event";

export interface GroupCommitOptions {
  /** Most facts in one statement. @default 500 */
  maxBatch?: number;
  /** Statements running at once. @default 2 */
  maxInFlight?: number;
}

interface Waiting {
  facts: readonly NewStreamEvent[];
  resolve: (results: FactAppendResult[]) => void;
  reject: (error: unknown) => void;
}

export type GroupCommit = ReturnType<typeof createGroupCommit>;

export function createGroupCommit(sql: Sql, options: GroupCommitOptions = {}) {
  const maxBatch = options.maxBatch ?? 500;
  const maxInFlight = options.maxInFlight ?? 2;
  const queue: Waiting[] = [];
  let inFlight = 0;

  function pump() {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch: Waiting[] = [];
      let size = 0;
      while (queue.length > 0 && (batch.length === 0 || size + (queue[0] as Waiting).facts.length <= maxBatch)) {
        const next = queue.shift() as Waiting;
        batch.push(next);
        size += next.facts.length;
      }
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  async function run(batch: Waiting[]) {
    try {
      const results = await appendFacts(sql, batch.flatMap((w) => w.facts));
      let offset = 0;
      for (const w of batch) {
        w.resolve(results.slice(offset, offset + w.facts.length));
        offset += w.facts.length;
      }
    } catch (error) {
      // The database down fails every fact alike: trying each again would double the wait for the answer.
      if (batch.length === 1 || isConnectionFailure(error)) {
        for (const w of batch) w.reject(error);
        return;
      }
      // One bad fact must not fail its neighbours: each goes again on its own.
      await Promise.all(batch.map((w) => appendFacts(sql, w.facts).then(w.resolve, w.reject)));
    }
  }

  return {
    /** Appends like `appendFacts`, sharing the statement with concurrent callers. */
    append(facts: readonly NewStreamEvent[]): Promise<FactAppendResult[]> {
      if (facts.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ facts, resolve, reject });
        pump();
      });
    },
  };
}
