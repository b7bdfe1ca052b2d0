/**
 * @module lib/clock
 * Time comes in from the edge so pure code stays deterministic.
 */
export interface Clock {
  now(): Date;
}

/** A clock for tests: fixed until moved. */
export function createManualClock(start: Date) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
    set(date: Date) {
      current = date.getTime();
    },
  } satisfies Clock & Record<string, unknown>;
}
