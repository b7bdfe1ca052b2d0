/**
 * @module lib/clock
 * Time comes in from the edge so pure code stays deterministic.
 */
export interface Clock {
  now(): Date;
}
