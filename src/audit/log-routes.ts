/**
 * @module audit/log-routes
 * The log as auditors read it: pages of events (`/events`), one stream's
 * history (`/streams/:streamId`) and the NDJSON export (`/export`).
 */
import { createRoute } from "@hono/zod-openapi";
import type { Logger } from "pino";
import { z } from "zod";
import type { Sql } from "../db/client";
import { LOG_START, readStream, readStreamVersion } from "../event-store";
import { ApiError } from "../http/errors";
import { apiApp, AUDITOR, ERRORS, json } from "../http/openapi-app";
import { encodeLogCursor, encodeStreamCursor } from "./cursor";
import { readEventPage, readVisibleHead, toEventFilter } from "./event-query";
import { toAuditEvent } from "./event-view";
import { createExportStream, type ExportSummary } from "./export-stream";
import { EventPageSchema, EventsQuery, ExportQuery, StreamPageSchema, StreamParams, StreamQuery } from "./schemas";

const tags = ["audit"];

const eventsRoute = createRoute({
  method: "get",
  path: "/api/audit/events",
  operationId: "listAuditEvents",
  tags,
  summary: "Events in log order, filtered, keyset-paginated",
  description: "Gap-safe: only events of transactions older than every running one, in (transaction_id, global_position) order, so paging while events are appended serves each event once.",
  ...AUDITOR,
  request: { query: EventsQuery },
  responses: { 200: json(EventPageSchema, "A page"), ...ERRORS },
});

const streamRoute = createRoute({
  method: "get",
  path: "/api/audit/streams/{streamId}",
  operationId: "readAuditStream",
  tags,
  summary: "One stream's whole history, by stream version",
  ...AUDITOR,
  request: { params: StreamParams, query: StreamQuery },
  responses: { 200: json(StreamPageSchema, "A page"), ...ERRORS },
});

const exportRoute = createRoute({
  method: "get",
  path: "/api/audit/export",
  operationId: "exportAuditLog",
  tags,
  summary: "The log (same filters as /events) as NDJSON, streamed",
  description: "One event per line, as /events items, up to the end of the log when the export started; X-Audit-Resume-Cursor says where /events picks up after it.",
  ...AUDITOR,
  request: { query: ExportQuery },
  responses: {
    200: {
      description: "NDJSON: one AuditEvent per line",
      headers: { "X-Audit-Resume-Cursor": { description: "Where /api/audit/events picks up after this export", schema: { type: "string" } } },
      content: { "application/x-ndjson": { schema: z.string() } },
    },
    ...ERRORS,
  },
});

/** `/api/audit/events`, `/streams/{streamId}` and `/export` (the auditor guard is on the audit app). */
export function logRoutes(deps: { sql: Sql }) {
  const { sql } = deps;
  return apiApp()
    .openapi(eventsRoute, async (c) => {
      const { after, limit, ...filters } = c.req.valid("query");
      return c.json(await readEventPage(sql, await toEventFilter(sql, filters), after, limit), 200);
    })
    .openapi(streamRoute, async (c) => {
      const { streamId } = c.req.valid("param");
      const { after, limit } = c.req.valid("query");
      if ((await readStreamVersion(sql, streamId)) === 0) throw new ApiError("NOT_FOUND", `There is no stream ${streamId}.`);
      const events = await readStream(sql, streamId, { fromVersion: (after ?? 0) + 1, maxCount: limit, withRaw: true });
      const last = events.at(-1);
      return c.json({ items: events.map(toAuditEvent), nextCursor: last && events.length === limit ? encodeStreamCursor(last.streamVersion) : null }, 200);
    })
    .openapi(exportRoute, async (c) => {
      const { after, ...filters } = c.req.valid("query");
      const filter = await toEventFilter(sql, filters);
      const upTo = await readVisibleHead(sql);
      const stream = createExportStream(sql, { filter, upTo, after: after ?? LOG_START, signal: c.req.raw.signal, onEnd: logExport(c.get("logger")) });
      // A stream, not JSON: the library types only JSON and text answers.
      return c.body(stream, 200, {
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
        "x-audit-resume-cursor": encodeLogCursor(upTo),
      }) as never;
    });
}

/** The export outlives its request line in the log: say how it ended. */
const logExport = (logger: Logger) => (summary: ExportSummary) => {
  const { error, ...line } = summary;
  if (summary.outcome === "failed") logger.error({ err: error, ...line }, "audit export failed");
  else logger.info(line, "audit export ended");
};
