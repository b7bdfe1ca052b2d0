/**
 * @module platform/system
 * The real clock and random ids, given to pure code by the composition root.
 */
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";

export const systemClock: Clock = { now: () => new Date() };

export const randomIds: IdGenerator = { uuid: () => crypto.randomUUID() };
