/**
 * @module sandbox/request-log
 * What the sandbox was asked, and when: each `/api/v1/*` request's method,
 * path, start and end (ms on the sandbox's monotonic clock). Tests read it
 * (`GET /sandbox/requests`) to check how a client behaved from the server's
 * side: how many requests it had open at once, how fast it sent them.
 * Kept to the newest `max` entries.
 */

export interface LoggedRequest {
  method: string;
  path: string;
  startedAt: number;
  /** Null while the request is in progress. */
  endedAt: number | null;
  status: number | null;
}

export type RequestLog = ReturnType<typeof createRequestLog>;

export function createRequestLog(max = 20_000) {
  let entries: LoggedRequest[] = [];
  return {
    /** Records a request's start; the returned function records its end. */
    start(method: string, path: string): (status: number) => void {
      const entry: LoggedRequest = { method, path, startedAt: performance.now(), endedAt: null, status: null };
      entries.push(entry);
      if (entries.length > max) entries = entries.slice(-max);
      return (status) => {
        entry.endedAt = performance.now();
        entry.status = status;
      };
    },
    entries: (): readonly LoggedRequest[] => entries,
    clear() {
      entries = [];
    },
  };
}

/** The most requests matching `filter` that were open at the same time. */
export function maxConcurrent(entries: readonly LoggedRequest[]): number {
  const edges = entries.flatMap((e) => [
    { at: e.startedAt, delta: 1 },
    { at: e.endedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const edge of edges) {
    open += edge.delta;
    most = Math.max(most, open);
  }
  return most;
}
