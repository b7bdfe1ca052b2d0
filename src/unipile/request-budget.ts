/**
 * @module unipile/request-budget
 * One budget of Unipile requests per second for the whole replica, shared by
 * sends, account commands, the sync and the background lookups, so that a
 * history import or a wave of lookups never pushes Unipile into answering
 * 429 to a user's send. Requests wait in two queues; commands (what a user
 * is waiting for) always go before background work. A token bucket of one
 * second's worth: short bursts pass at once, a sustained load is spread.
 */
import { type BucketState, take } from "../lib/token-bucket";
import { metrics, startTimer } from "../platform/metrics";

export type BudgetPriority = "command" | "background";

export type RequestBudget = ReturnType<typeof createRequestBudget>;

export function createRequestBudget(options: { perSecond: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const rule = { perSecond: options.perSecond, burst: Math.max(1, options.perSecond) };
  const queues: Record<BudgetPriority, Array<() => void>> = { command: [], background: [] };
  let state: BucketState | undefined;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function drain() {
    timer = null;
    for (;;) {
      const next = queues.command[0] ? queues.command : queues.background[0] ? queues.background : null;
      if (!next) return;
      const answer = take(state, rule, now());
      state = answer.state;
      if (!answer.allowed) {
        timer = setTimeout(drain, Math.max(1, answer.retryAfterMs));
        return;
      }
      next.shift()?.();
    }
  }

  return {
    /** Resolves when this request may go. */
    acquire(priority: BudgetPriority): Promise<void> {
      const elapsed = startTimer();
      return new Promise<void>((resolve) => {
        queues[priority].push(() => {
          metrics.unipileBudgetWait.observe({ priority }, elapsed());
          resolve();
        });
        if (!timer) drain();
      });
    },
    /** Requests waiting, per priority. */
    waiting: () => ({ command: queues.command.length, background: queues.background.length }),
  };
}
