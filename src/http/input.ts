/**
 * @module http/input
 * The zod schemas every route shares for values that reach Postgres as they
 * are: times, and free text in paths, queries and ids. A value Postgres would
 * refuse (year 0000 or 10000, NUL, a lone surrogate) is a 400 here, at the
 * edge, and never a database error.
 */
import { z } from "zod";
import { isStorable } from "../event-store/storable";
import { isSupportedTime } from "../lib/time-range";

export { isSupportedTime };

const OUT_OF_RANGE = "must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z";

/**
 * An ISO-8601 time with a zone (`2025-03-15T10:42:07Z`, `…+02:00`) → Date,
 * within years 0001–9999 both as written and in UTC (an offset can push
 * 9999-12-31T23:59Z into year 10000).
 */
export const isoTime = (what: string) =>
  z.iso
    .datetime({ offset: true, error: `${what} must be an ISO-8601 time with a zone (2025-03-15T10:42:07Z)` })
    .refine((value) => !value.startsWith("0000"), `${what} ${OUT_OF_RANGE}`)
    .transform((value) => new Date(value))
    .refine(isSupportedTime, `${what} ${OUT_OF_RANGE}`);

/** Text Postgres can store: no NUL character and no lone UTF-16 surrogate (the log's own rule). */
export const isStorableText = isStorable;

export const STORABLE_TEXT_MESSAGE =
  "contains a NUL character or an unpaired UTF-16 surrogate (half of an emoji), which cannot be stored or sent";

/** A non-empty string of at most `max` characters that Postgres can store. */
export const storableText = (max: number) => z.string().min(1).max(max).refine(isStorableText, STORABLE_TEXT_MESSAGE);
