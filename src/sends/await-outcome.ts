/**
 * @module sends/await-outcome
 * A copy of a send in flight (same Idempotency-Key, another request still
 * talking to Unipile) waits for that attempt's outcome. It reads the send's
 * stream again on each wake-up of the projection runner, which is the NOTIFY
 * every append sends: the outcome's own append wakes it, on whichever replica
 * it was written. A wake-up is a hint, not a guarantee (a NOTIFY lost while
 * the listener reconnects, a runner not started), so a copy also looks again
 * after `FALLBACK_MS` without one, as the runner itself does.
 */
import type { EventStore } from "../event-store";
import type { ProjectionRunner } from "../projections/runner";
import { answerOf, type SendAnswer, sendModel } from "./decider";

/** Longest a waiting copy goes without looking, when no wake-up comes. */
export const FALLBACK_MS = 1000;

/** The answer once the latest attempt has an outcome; null when `waitMs` passed first. */
export async function awaitOutcome(
  deps: { eventStore: EventStore; runner: Pick<ProjectionRunner, "onWake"> },
  streamId: string,
  fingerprint: string,
  waitMs: number,
  fallbackMs = FALLBACK_MS,
): Promise<Exclude<SendAnswer, { kind: "in_flight" }> | null> {
  const deadline = Date.now() + waitMs;
  let woken = () => {};
  const unsubscribe = deps.runner.onWake(() => woken());
  try {
    for (;;) {
      // Listening before reading: an outcome appended during the read still wakes the next wait.
      const wake = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(fallbackMs, deadline - Date.now())));
        woken = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const answer = answerOf((await deps.eventStore.loadStream(streamId, sendModel)).state, fingerprint);
      if (answer.kind !== "in_flight") return answer;
      if (Date.now() >= deadline) return null;
      await wake;
    }
  } finally {
    woken();
    unsubscribe();
  }
}
