/**
 * @module sandbox/paging
 * Keyset paging on (date, id), newest first. Offsets would skip or repeat
 * items when new ones arrive between two pages; a keyset does not: the
 * cursor holds the last served (date, id) and the next page starts strictly
 * below it.
 */
import { decodeCursor, encodeCursor, type CursorState } from "./cursor";
import { SandboxApiError, errorBody, invalidParameters } from "./errors";

export interface PageQuery {
  limit: number;
  after?: { last_id: string; last_date: string };
  /** Filters to keep in the cursor, so the next page applies the same ones. */
  filters: Record<string, unknown>;
}

/**
 * Reads `cursor` or `limit` from a query. With a cursor, the filters stored in
 * it win over the query's (Unipile ignores the other parameters then).
 */
export function readPageQuery(
  query: Record<string, string | undefined>,
  filters: Record<string, unknown>,
  defaultLimit = 100,
  maxLimit = 250,
): PageQuery {
  if (query.cursor) {
    const state = decodeCursor(query.cursor);
    const { limit, cursor, ...stored } = state;
    return { limit, after: { last_id: cursor.last_id, last_date: cursor.last_date ?? "" }, filters: stored };
  }
  const limit = query.limit === undefined ? defaultLimit : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1) throw invalidParameters("limit must be an integer of at least 1.");
  if (limit > maxLimit) {
    throw new SandboxApiError(errorBody(400, "errors/limit_too_high", `limit must be at most ${maxLimit}.`));
  }
  return { limit, filters };
}

/** ISO-8601 with milliseconds, as the API requires for `before`/`after`. */
export function readDate(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== value) {
    throw invalidParameters(`${name} must be an ISO 8601 UTC date with milliseconds.`);
  }
  return value;
}

const newestFirst = <T>(key: (item: T) => { date: string; id: string }) => (a: T, b: T) => {
  const ka = key(a);
  const kb = key(b);
  if (ka.date !== kb.date) return ka.date < kb.date ? 1 : -1;
  return ka.id < kb.id ? 1 : ka.id > kb.id ? -1 : 0;
};

/** One page of `items` (any order) and the cursor to the next one, or null. */
export function page<T>(
  items: Iterable<T>,
  key: (item: T) => { date: string; id: string },
  query: PageQuery,
): { items: T[]; cursor: string | null } {
  const after = query.after;
  const candidates = after
    ? [...items].filter((item) => {
        const k = key(item);
        return k.date < after.last_date || (k.date === after.last_date && k.id < after.last_id);
      })
    : [...items];
  candidates.sort(newestFirst(key));
  const served = candidates.slice(0, query.limit);
  const last = served[served.length - 1];
  if (!last || candidates.length <= query.limit) return { items: served, cursor: null };
  const lastKey = key(last);
  const state: CursorState = {
    ...query.filters,
    limit: query.limit,
    cursor: { last_id: lastKey.id, last_date: lastKey.date },
  };
  return { items: served, cursor: encodeCursor(state) };
}
