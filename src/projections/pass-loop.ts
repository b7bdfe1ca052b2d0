/**
 * @module projections/pass-loop
 * When the runner's passes run: at once when woken (an append here, a
 * notification), gathered under load, on the poll interval at rest, sooner
 * while committed events stay hidden from a pass, and backing off after
 * failures.
 */
import type { Logger } from "pino";
import { failureLog } from "../db/errors";
import type { LogPosition } from "../event-store/event";
import type { PassOutcome } from "./pass";

export interface PassLoopOptions {
  pass: () => Promise<PassOutcome>;
  /** Whether committed events lie past `position` (see pass.ts). */
  committedPast: (position: LogPosition) => Promise<boolean>;
  pollIntervalMs: number;
  /** The least time between the starts of two passes under load (see ProjectionRunnerOptions). */
  minPassIntervalMs: number;
  logger?: Logger;
}

/** Longest wait after failed batches (the database down): 2× the poll interval per failure up to this. */
const MAX_BACKOFF_MS = 10_000;
/** The first look again after a pass that could not see committed events yet; doubles up to the last. */
const HIDDEN_RETRY_MS = 10;
const HIDDEN_RETRY_MAX_MS = 1000;

export function createPassLoop(options: PassLoopOptions) {
  const { pass, committedPast, pollIntervalMs, minPassIntervalMs, logger } = options;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let pendingWake = false;

  const nudge = () => {
    pendingWake = true;
    wake?.();
  };

  /**
   * The loop. A wake-up is spent by the pass it starts: when that pass could
   * not see the events it was woken for yet (their transactions committed
   * after an older one that is still open), the loop looks again soon, sooner
   * than the poll interval, backing off while they stay hidden.
   */
  async function run() {
    let failures = 0;
    let hiddenDelay = 0;
    while (running) {
      pendingWake = false;
      let hidden = false;
      let applied = 0;
      const passStarted = performance.now();
      try {
        const outcome = await pass();
        applied = outcome.applied;
        failures = 0;
        // Woken meanwhile: more is coming, and the next pass will look anyway.
        const { lowest } = outcome;
        hidden = !pendingWake && lowest !== null && (await committedPast(lowest));
      } catch (error) {
        failures++;
        const { level, fields } = failureLog(error);
        logger?.[level]({ ...fields, failures }, "projection batch failed; backing off");
      }
      if (!running) break;
      if (pendingWake && failures === 0) {
        const gather = minPassIntervalMs - (performance.now() - passStarted);
        if (applied > 0 && gather > 0) await Bun.sleep(gather);
        continue;
      }
      // A wake-up (an append here, a notification, the listener reconnecting) ends a backoff early.
      hiddenDelay = hidden ? Math.min(pollIntervalMs, HIDDEN_RETRY_MAX_MS, hiddenDelay === 0 ? HIDDEN_RETRY_MS : hiddenDelay * 2) : 0;
      const delay = failures > 0 ? Math.min(pollIntervalMs * 2 ** failures, MAX_BACKOFF_MS) : hidden ? hiddenDelay : pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    get running() {
      return running;
    },
    /** Wakes the loop now. */
    nudge,
    start() {
      running = true;
      loop = run();
    },
    /** Finishes the pass in flight and stops. */
    async stop() {
      running = false;
      wake?.();
      await loop;
      loop = null;
    },
  };
}
