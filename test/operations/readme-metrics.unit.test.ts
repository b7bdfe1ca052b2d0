/**
 * The README's metrics table names every metric the service registers
 * (prom-client's default process metrics are covered by one row).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HEAP_WALKING_METRICS, registry } from "../../src/platform/metrics";

describe("README › Metrics", () => {
  test("lists each metric the service registers", async () => {
    const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !n.startsWith("process_") && !n.startsWith("nodejs_"));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});

describe("default process metrics", () => {
  test("leave out the per-heap-space sizes, which Bun computes by walking the heap at each scrape", () => {
    for (const name of HEAP_WALKING_METRICS) expect(registry.getSingleMetric(name)).toBeUndefined();
    expect(registry.getSingleMetric("nodejs_heap_size_used_bytes")).toBeDefined();
  });
});
