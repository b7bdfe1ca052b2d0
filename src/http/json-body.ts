/**
 * @module http/json-body
 * The one reader of JSON request bodies: the nesting is bounded before the
 * text is parsed (`JSON_MAX_DEPTH`, 400 `JSON_TOO_DEEP` past it), so a
 * 100,000-deep body never reaches `JSON.parse`, nor the log, whose encoder
 * (and every other recursive walk) would overflow on it or block the loop.
 */
import type { Context } from "hono";
import { jsonDepthExceededAt } from "../lib/json-depth";
import type { AppEnv } from "./app-env";
import { ApiError } from "./errors";

/** Unipile's payloads nest fewer than 10 levels; CommSync's request bodies 2. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

/** The bound `createApp` put on the context (the default outside the app, in tests of parts). */
export const jsonMaxDepth = (c: Context<AppEnv>): number => c.get("jsonMaxDepth") ?? DEFAULT_JSON_MAX_DEPTH;

/** Parses JSON text nesting at most `maxDepth` levels; `what` starts the error sentence. */
export function parseJsonText(text: string, maxDepth: number, what = "The request body"): unknown {
  const at = jsonDepthExceededAt(text, maxDepth);
  if (at !== null) {
    throw new ApiError("JSON_TOO_DEEP", `${what} nests deeper than ${maxDepth} levels (character ${at}).`, [{ path: "(root)", message: `nested deeper than ${maxDepth} levels` }]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("MALFORMED_JSON", `${what} is not valid JSON.`);
  }
}

/** The request's body, read as text and parsed with the app's bound. */
export async function readJsonBody(c: Context<AppEnv>, what?: string): Promise<unknown> {
  return parseJsonText(await c.req.text(), jsonMaxDepth(c), what);
}
