/**
 * @module sandbox/cursor
 * List cursors as Unipile makes them: standard base64 (not base64url, which the
 * SDK validators reject) of JSON holding the whole query state plus the keyset
 * position `{last_id, last_date}` of the last item served.
 */
import { invalidParameters } from "./errors";

export interface CursorState {
  limit: number;
  cursor: { last_id: string; last_date?: string };
  [filter: string]: unknown;
}

export const encodeCursor = (state: CursorState): string =>
  Buffer.from(JSON.stringify(state), "utf8").toString("base64");

/** Decodes a cursor from a query string; 400 `invalid_parameters` when it is not one of ours. */
export const decodeCursor = (value: string): CursorState => {
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) throw new Error("not base64");
    const parsed = JSON.parse(Buffer.from(value, "base64").toString("utf8")) as CursorState;
    if (typeof parsed.limit !== "number" || typeof parsed.cursor?.last_id !== "string") throw new Error("bad state");
    return parsed;
  } catch {
    throw invalidParameters("Invalid cursor.");
  }
};
