/**
 * The NDJSON export on a log of 100,000 events: every line comes once, memory
 * stays flat (the body is read incrementally and the heap sampled after
 * forced collections), and a client that goes away stops the reading.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { logVisible } from "../support/log-visible";
import { AUDITOR } from "./support";

const TOTAL = 100_000;
/** appendFacts costs grow faster than its batch: 500 per call, four calls at a time, loads fastest. */
const BATCH = 500;
const TYPE = "AuditExportLoad";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  const batches = Array.from({ length: TOTAL / BATCH }, (_, b) =>
    Array.from({ length: BATCH }, (_, i) => ({
      streamId: `audit-load:${b}`,
      type: TYPE,
      data: { n: b * BATCH + i, note: "a small event among many" },
      metadata: { source: "system" as const, actor: "system" },
    })),
  );
  // Four writers at a time, each on its own stream: loading is not what is measured.
  const started = performance.now();
  for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map((batch) => h.deps.eventStore.appendFacts(batch)));
  console.info(`loaded ${TOTAL} events in ${Math.round(performance.now() - started)} ms`);
  // The export reads the log as gap-safe readers see it: all of it, once no older transaction hides the last batches.
  await logVisible(h.deps.sql);
}, 60000);
afterAll(() => h.close());

const NEWLINE = 10;
const countLines = (chunk: Uint8Array) => {
  let lines = 0;
  for (const byte of chunk) if (byte === NEWLINE) lines++;
  return lines;
};
const heap = () => {
  Bun.gc(true);
  return process.memoryUsage().heapUsed;
};

describe("export", () => {
  test("100,000 events stream as exact NDJSON with flat memory", async () => {
    // Given
    const response = await h.request(`/api/audit/export?type=${TYPE}`, AUDITOR);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("application/x-ndjson");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const baseline = heap();
    const rssBaseline = process.memoryUsage().rss;

    // When: the body is read chunk by chunk, the heap sampled along the way
    let lines = 0;
    let bytes = 0;
    let chunks = 0;
    let peakGrowth = 0;
    let firstLine = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!firstLine) firstLine = new TextDecoder().decode(value.subarray(0, value.indexOf(NEWLINE)));
      lines += countLines(value);
      bytes += value.byteLength;
      if (++chunks % 10 === 0) peakGrowth = Math.max(peakGrowth, heap() - baseline);
    }

    // Then
    expect(lines).toBe(TOTAL);
    expect(JSON.parse(firstLine)).toMatchObject({ type: TYPE, streamVersion: 1, data: { n: expect.any(Number) }, metadata: { source: "system" } });
    const rssGrowth = process.memoryUsage().rss - rssBaseline;
    console.info(`export: ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB in ${chunks} chunks; heap peak +${(peakGrowth / 1e6).toFixed(1)} MB, rss +${(rssGrowth / 1e6).toFixed(1)} MB`);
    expect(bytes).toBeGreaterThan(20e6);
    expect(peakGrowth).toBeLessThan(bytes / 10);
  }, 30000);

  test("a client that disconnects stops the reading", async () => {
    // Given: the export over real HTTP
    const abort = new AbortController();
    const token = await h.token("auditor-eve", { roles: ["auditor"] });
    const response = await fetch(`${h.url}/api/audit/export?type=${TYPE}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).done).toBe(false);

    // When: it goes away after the first chunk
    abort.abort();
    await reader.cancel().catch(() => undefined);

    // Then: the export ends as cancelled, long before its 100 pages
    const ended = await waitFor(() => {
      const line = h.logs.find((l) => l.includes("audit export ended") && l.includes('"cancelled"'));
      return line ? (JSON.parse(line) as { pages: number; events: number }) : undefined;
    }, 5000);
    expect(ended.pages).toBeLessThan(TOTAL / 1000 / 2);
  }, 15000);
});
