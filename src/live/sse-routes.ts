/**
 * @module live/sse-routes
 * `GET /api/events/stream`: server-sent events of the caller's new messages,
 * message status changes, conversation updates, account status changes and
 * history import progress (account items, so a console can show the import),
 * as the projections apply them. Each event's `id` is its log position; a
 * client reconnecting with `Last-Event-ID` (or `?lastEventId=`) gets exactly
 * the events after it, in log order, once. Comment heartbeats keep idle
 * connections well inside the server's idle timeout; a user may hold a
 * bounded number of streams; shutdown closes every stream first.
 */
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { metrics } from "../platform/metrics";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import { z } from "zod";
import type { Sql } from "../db/client";
import { failureLog } from "../db/errors";
import type { LogPosition } from "../event-store/event";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { apiApp, BEARER, ERRORS } from "../http/openapi-app";
import type { Projection } from "../projections/projection";
import type { ProjectionRunner } from "../projections/runner";
import { decodePosition, FEED_EVENT_TYPES, HISTORY_IMPORT_EVENT_TYPES, projectedPosition, readFeed } from "./feed";
import { createImportThrottle, shownOnStream } from "./import-progress";

const STREAM_TYPES = [...FEED_EVENT_TYPES, ...HISTORY_IMPORT_EVENT_TYPES];

export interface LiveOptions {
  sql: Sql;
  runner: ProjectionRunner;
  /** The projections whose rows the feed reads. */
  projections: readonly Projection[];
  logger: Logger;
  heartbeatMs: number;
  maxStreamsPerUser: number;
  /** How often a stream looks for events applied by another replica. @default 1000 */
  pollMs?: number;
}

export type LiveStreams = ReturnType<typeof createLiveStreams>;

/** The open streams, per user, and their shutdown. */
export function createLiveStreams(options: LiveOptions) {
  const open = new Map<string, Set<() => void>>();
  let closing = false;
  return {
    options,
    get closing() {
      return closing;
    },
    count: (userId: string) => open.get(userId)?.size ?? 0,
    add(userId: string, close: () => void) {
      const set = open.get(userId) ?? new Set();
      set.add(close);
      open.set(userId, set);
      metrics.eventStreams.inc();
      return () => {
        if (set.delete(close)) metrics.eventStreams.dec();
        if (set.size === 0) open.delete(userId);
      };
    },
    /** Ends every stream (clients reconnect elsewhere with Last-Event-ID). */
    async closeAll() {
      closing = true;
      for (const set of open.values()) for (const close of set) close();
      const deadline = Date.now() + 2000;
      while (open.size > 0 && Date.now() < deadline) await Bun.sleep(10);
    },
  };
}

const StreamQuery = z.object({ lastEventId: z.string().max(50).optional().describe("Resume after this event id (or send Last-Event-ID)") });

const streamRoute = createRoute({
  method: "get",
  path: "/api/events/stream",
  operationId: "streamEvents",
  tags: ["live"],
  summary: "Server-sent events: the caller's messages, conversations and accounts as they change; resumable with Last-Event-ID",
  description: [
    "Events, each `data` a JSON object:",
    "- `ready`: first, once per connection (`resumedFrom`: the Last-Event-ID given, or null);",
    "- `message`: a message of the caller's was received, sent, edited, deleted, delivered or read (`type` and the message; a send's pending row and its final row share one id);",
    "- `conversation`: a conversation changed (`type` and the conversation);",
    "- `account`: an account changed (`type` and the account); during a history import, its start, progress and end (`AccountBackfillStarted` / `Progressed` / `Completed`, with `progress {phase, chatsDone, chatsTotal, messagesSeen, messagesTotal, done}`, at most one progress event every 500 ms per account) instead of one `message` event per imported message;",
    "- `conversations`: after an import, one `ConversationsChanged` (`reason`, `accountId`, `refetch`: the list to fetch again).",
    "Live messages arriving during an import are still sent one by one. Each event's `id` is its log position; reconnecting with `Last-Event-ID` (or `?lastEventId=`) gives exactly the events after it, in log order, once. Comment heartbeats keep idle connections open.",
  ].join("\n"),
  security: BEARER,
  request: {
    query: StreamQuery,
    headers: z.object({ "last-event-id": z.string().optional().describe("Resume after this event id (browsers send it when they reconnect)") }),
  },
  responses: {
    200: {
      description: "An event stream: `ready`, then `message`, `conversation`, `account` (with import progress) and `conversations` events",
      content: { "text/event-stream": { schema: z.string().meta({ example: 'id: 1234-56\nevent: message\ndata: {"conversationId":"…"}\n\n' }) } },
    },
    ...ERRORS,
  },
});

/** One open stream: whose, where it resumes, and its wake-up flags. */
interface StreamState {
  userId: string;
  /** The Last-Event-ID given, if any. */
  given: string | undefined;
  wake: () => void;
  ended: boolean;
  /** Set by a wake-up that comes while the stream is busy reading, so it is not slept through. */
  pending: boolean;
}

/** Where the stream stands in the feed. */
interface Cursor {
  position: LogPosition | null;
  lastWrite: number;
  /** A history import's progress, thinned; its messages are not pushed one by one (import-progress.ts). */
  throttle: ReturnType<typeof createImportThrottle>;
}

function nudge(s: StreamState) {
  s.pending = true;
  s.wake();
}

function end(s: StreamState) {
  s.ended = true;
  nudge(s);
}

/** The position to resume after (null: from now); refuses a bad id, a closing service, one stream too many. */
function admit(live: LiveStreams, userId: string, given: string | undefined): LogPosition | null {
  const after = given ? decodePosition(given) : null;
  if (given && !after) throw new ApiError("VALIDATION_FAILED", "Last-Event-ID is not an event id of this stream.");
  if (live.closing) throw new ApiError("SERVICE_UNAVAILABLE", "The service is shutting down; reconnect.");
  if (live.count(userId) >= live.options.maxStreamsPerUser) {
    throw new ApiError("TOO_MANY_REQUESTS", `At most ${live.options.maxStreamsPerUser} event streams per user.`, undefined, { "Retry-After": "5" });
  }
  return after;
}

/** Writes what the feed has after the cursor, up to the projected end; true when it got there. */
async function writeNew(live: LiveStreams, stream: SSEStreamingApi, s: StreamState, cursor: Cursor): Promise<boolean> {
  const { sql, projections } = live.options;
  const upTo = await projectedPosition(sql, projections);
  if (upTo && cursor.position) {
    const page = await readFeed(sql, { userId: s.userId, after: cursor.position, upTo, limit: 500, types: STREAM_TYPES, accept: shownOnStream });
    for (const item of page.items) {
      for (const out of cursor.throttle(item)) {
        if (s.ended || stream.aborted) break;
        await stream.writeSSE({ id: out.id, event: out.event, data: JSON.stringify(out.data) });
        cursor.lastWrite = Date.now();
      }
    }
    cursor.position = page.position;
    return page.caughtUp;
  }
  if (upTo) cursor.position = upTo;
  return true;
}

/** Sleeps until woken, the next poll, or the next heartbeat is due. */
function sleep(live: LiveStreams, s: StreamState, idle: number) {
  return new Promise<void>((resolve) => {
    // A wake-up that came while the heartbeat was written found the previous `wake`: not slept through.
    if (s.pending || s.ended) return resolve();
    const timer = setTimeout(resolve, Math.max(1, Math.min(live.options.pollMs ?? 1000, idle > 0 ? idle : live.options.heartbeatMs)));
    s.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

async function streamFeed(live: LiveStreams, stream: SSEStreamingApi, s: StreamState, after: LogPosition | null) {
  const position = after ?? (await projectedPosition(live.options.sql, live.options.projections));
  await stream.writeSSE({ event: "ready", data: JSON.stringify({ resumedFrom: s.given ?? null }), retry: 2000 });
  const cursor: Cursor = { position, lastWrite: Date.now(), throttle: createImportThrottle() };
  while (!s.ended && !stream.aborted) {
    s.pending = false;
    const caughtUp = await writeNew(live, stream, s, cursor);
    if (!caughtUp || s.ended || s.pending) continue;
    const idle = live.options.heartbeatMs - (Date.now() - cursor.lastWrite);
    if (idle <= 0) {
      await stream.write(": heartbeat\n\n");
      cursor.lastWrite = Date.now();
    }
    await sleep(live, s, idle);
  }
}

/** Runs one stream until it ends, then lets go of its slot. */
async function runStream(live: LiveStreams, stream: SSEStreamingApi, s: StreamState, after: LogPosition | null, remove: () => void) {
  stream.onAbort(() => end(s));
  const unsubscribe = live.options.runner.onApplied(() => nudge(s));
  try {
    await streamFeed(live, stream, s, after);
  } catch (error) {
    live.options.logger.warn({ ...failureLog(error).fields, userId: s.userId }, "event stream failed; the client will resume with Last-Event-ID");
  } finally {
    unsubscribe();
    remove();
  }
}

/**
 * The event stream, mounted with `app.route("/", liveRoutes(live, guards))`.
 * Streams are bounded per user, not by the API's in-flight bound.
 */
export function liveRoutes(live: LiveStreams, guards: MiddlewareHandler<AppEnv>[]) {
  return apiApp().openapi({ ...streamRoute, middleware: guards }, async (c) => {
    const userId = c.get("principal").userId;
    const given = c.req.header("last-event-id") ?? c.req.valid("query").lastEventId;
    const after = admit(live, userId, given);
    const s: StreamState = { userId, given, wake: () => undefined, ended: false, pending: false };
    const remove = live.add(userId, () => end(s));
    return streamSSE(c, (stream) => runStream(live, stream, s, after, remove));
  });
}
