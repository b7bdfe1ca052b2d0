/**
 * @module audit/export-stream
 * The NDJSON export: the log (or the filtered part of it) streamed one page at
 * a time through the same gap-safe keyset read as `/events`. Pages are read
 * only when the client has taken the previous one (a pull stream), so memory
 * holds about one page whatever the export's size, and a client that goes away
 * stops the reading.
 */
import type { Queryable } from "../db/client";
import { type EventFilter, type LogPosition, readAll } from "../event-store";
import { toNdjson } from "./event-view";

export interface ExportOptions {
  filter: EventFilter;
  /** Start strictly after this pair. */
  after: LogPosition;
  /**
   * The last pair to export: the visible head when the export started, so an
   * export under constant writes still ends, and says what it covers.
   */
  upTo: LogPosition;
  /** @default 1000 */
  pageSize?: number;
  /** Fires the request's abort signal: stop reading. */
  signal?: AbortSignal;
  /** Called once, when the export ends for whatever reason. */
  onEnd?: (summary: ExportSummary) => void;
}

export interface ExportSummary {
  events: number;
  pages: number;
  outcome: "complete" | "cancelled" | "failed";
  error?: unknown;
}

export function createExportStream(sql: Queryable, options: ExportOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pageSize = options.pageSize ?? 1000;
  let position = options.after;
  let events = 0;
  let pages = 0;
  let ended = false;

  const end = (outcome: ExportSummary["outcome"], error?: unknown) => {
    if (ended) return;
    ended = true;
    options.onEnd?.({ events, pages, outcome, ...(error === undefined ? {} : { error }) });
  };
  options.signal?.addEventListener("abort", () => end("cancelled"), { once: true });

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (ended) return;
        try {
          const page = await readAll(sql, { ...options.filter, after: position, upTo: options.upTo, limit: pageSize, withRaw: true });
          if (ended) return; // the client left while the page was being read
          position = page.position;
          events += page.events.length;
          pages++;
          if (page.events.length > 0) controller.enqueue(encoder.encode(toNdjson(page.events)));
          if (page.caughtUp) {
            controller.close();
            end("complete");
          }
        } catch (error) {
          end("failed", error);
          controller.error(error);
        }
      },
      cancel() {
        end("cancelled");
      },
    },
    // No page is read ahead of the client: the next pull comes when it takes this one.
    { highWaterMark: 0 },
  );
}
