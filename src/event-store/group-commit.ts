/**
 * @module event-store/group-commit
 * Group commit for external facts. Facts appended concurrently (webhooks
 * arriving together) go to the log in one `appendFacts` statement, hence one
 * commit and one WAL flush, and each caller is answered with its own result
 * only after that commit. Nothing waits on purpose: facts that find a
 * statement slot free go at once; those arriving while the slots are busy
 * form the next batch. Under load the batches grow by themselves; at rest
 * each fact is its own statement. A fact the log refuses fails alone.
 */
import type { Sql } from "../db/client";
import { metrics, startTimer } from "../platform/metrics";
import { appendFacts } from "./append-facts";
import type { FactAppendResult, NewStreamEvent } from "./event";
import { appendFactsIsolating, isDataError } from "./unprocessable";

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

/**
 * An error about some caller's facts, not about the database: Postgres
 * refusing the data, or an error thrown before the statement was sent
 * (encoding a fact), which has no code, unlike every error of the driver.
 */
const aboutTheFacts = (error: unknown) => isDataError(error) || !(typeof error === "object" && error !== null && "code" in error);

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
      const facts = batch.flatMap((w) => w.facts);
      const elapsed = startTimer();
      const results = await appendFacts(sql, facts);
      metrics.appendDuration.observe(elapsed());
      metrics.batchFacts.observe(facts.length);
      let offset = 0;
      for (const w of batch) {
        w.resolve(results.slice(offset, offset + w.facts.length));
        offset += w.facts.length;
      }
    } catch (error) {
      // A connection or server failure fails every caller at once: retrying each would only hammer it.
      if (!aboutTheFacts(error)) return batch.forEach((w) => w.reject(error));
      // One bad fact must not fail its neighbours: each caller's facts go again on their own, and a
      // fact still refused is recorded as an UnprocessableFact (unprocessable.ts).
      await Promise.all(batch.map((w) => appendFactsIsolating(sql, w.facts).then(w.resolve, w.reject)));
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
