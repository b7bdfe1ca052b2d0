/**
 * @module metrics-refresh
 * The gauges read from the database when /metrics is scraped: each
 * projection's lag (events and seconds behind the log) and the webhook
 * subscriptions' delivery lag. Read at scrape time rather than kept up to
 * date, so they cost nothing between scrapes and are never stale.
 */
import type { Sql } from "./db/client";
import { metrics } from "./platform/metrics";
import type { Projection } from "./projections/projection";
import { projectionStatus } from "./projections/runner";
import { deliveryLagSummary } from "./subscriptions";

export function createMetricsRefresh(sql: Sql, projections: readonly Projection[]) {
  return async () => {
    for (const projection of projections) {
      const status = await projectionStatus(sql, projection);
      metrics.projectionLagEvents.set({ projection: projection.name }, status.lagEvents);
      metrics.projectionLagSeconds.set({ projection: projection.name }, status.lagMs / 1000);
    }
    const lags = await deliveryLagSummary(sql);
    metrics.subscriptionLag.set(Math.max(0, ...lags.map((l) => l.lagMs)) / 1000);
    metrics.subscriptionPending.set(lags.reduce((sum, l) => sum + l.pendingEvents, 0));
  };
}
