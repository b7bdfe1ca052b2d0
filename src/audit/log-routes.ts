/**
 * @module audit/log-routes
 * The log as auditors read it: pages of events (`/events`), one stream's
 * history (`/streams/:streamId`) and the NDJSON export (`/export`).
 */
import type { Hono } from "hono";
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import { LOG_START, readStream, readStreamVersion } from "../event-store";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import type { ApiDocs } from "../http/openapi";
import { validate } from "../http/validation";
import { encodeLogCursor, encodeStreamCursor } from "./cursor";
import { readEventPage, readVisibleHead, toEventFilter } from "./event-query";
import { toAuditEvent } from "./event-view";
import { createExportStream, type ExportSummary } from "./export-stream";
import { EventPageSchema, EventsQuery, ExportQuery, StreamPageSchema, StreamParams, StreamQuery } from "./schemas";

const tags = ["audit"];
const auth = "auditor";

export function registerLogRoutes(app: Hono<AppEnv>, deps: { sql: Sql }, docs: ApiDocs) {
  const { sql } = deps;

  docs.add({ method: "get", path: "/api/audit/events", summary: "Events in log order, filtered, keyset-paginated", description: "Gap-safe: only events of transactions older than every running one, in (transaction_id, global_position) order, so paging while events are appended serves each event once.", tags, auth, query: EventsQuery, responses: { 200: { description: "A page", schema: EventPageSchema } } });
  app.get("/api/audit/events", validate("query", EventsQuery), async (c) => {
    const { after, limit, ...filters } = c.req.valid("query");
    return c.json(await readEventPage(sql, await toEventFilter(sql, filters), after, limit));
  });

  docs.add({ method: "get", path: "/api/audit/streams/:streamId", summary: "One stream's whole history, by stream version", tags, auth, params: StreamParams, query: StreamQuery, responses: { 200: { description: "A page", schema: StreamPageSchema } } });
  app.get("/api/audit/streams/:streamId", validate("param", StreamParams), validate("query", StreamQuery), async (c) => {
    const { streamId } = c.req.valid("param");
    const { after, limit } = c.req.valid("query");
    if ((await readStreamVersion(sql, streamId)) === 0) throw new ApiError("NOT_FOUND", `There is no stream ${streamId}.`);
    const events = await readStream(sql, streamId, { fromVersion: (after ?? 0) + 1, maxCount: limit, withRaw: true });
    const last = events.at(-1);
    return c.json({ items: events.map(toAuditEvent), nextCursor: last && events.length === limit ? encodeStreamCursor(last.streamVersion) : null });
  });

  docs.add({ method: "get", path: "/api/audit/export", summary: "The log (same filters as /events) as NDJSON, streamed", description: "One event per line, as /events items, up to the end of the log when the export started; X-Audit-Resume-Cursor says where /events picks up after it.", tags, auth, query: ExportQuery, responses: { 200: { description: "NDJSON", contentType: "application/x-ndjson" } } });
  app.get("/api/audit/export", validate("query", ExportQuery), async (c) => {
    const { after, ...filters } = c.req.valid("query");
    const filter = await toEventFilter(sql, filters);
    const upTo = await readVisibleHead(sql);
    const stream = createExportStream(sql, { filter, upTo, after: after ?? LOG_START, signal: c.req.raw.signal, onEnd: logExport(c.get("logger")) });
    return c.body(stream, 200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "cache-control": "no-store",
      "x-audit-resume-cursor": encodeLogCursor(upTo),
    });
  });
}

/** The export outlives its request line in the log: say how it ended. */
const logExport = (logger: Logger) => (summary: ExportSummary) => {
  const { error, ...line } = summary;
  if (summary.outcome === "failed") logger.error({ err: error, ...line }, "audit export failed");
  else logger.info(line, "audit export ended");
};
