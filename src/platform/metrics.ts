/**
 * @module platform/metrics
 * The service's Prometheus metrics (prom-client), in one registry that every
 * layer may record into: HTTP, webhooks, the event store, projections, sync,
 * Unipile calls, event streams and the process. Labels are bounded sets
 * (route templates, operations, outcomes, projection names), never account
 * or user ids, so the number of series stays fixed however many accounts
 * the service holds. Served on GET /metrics (http/metrics-route.ts).
 *
 * One registry per process: tests that build many apps in one process share
 * it, and counters only ever grow, which is what a scrape expects.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
/**
 * Bun answers `v8.getHeapSpaceStatistics()` by walking the heap: about a
 * second with two million live objects, blocking every request for as long
 * at each scrape. The heap's totals (`nodejs_heap_size_*`, from
 * `process.memoryUsage()`) stay; the per-space breakdown goes.
 */
export const HEAP_WALKING_METRICS = ["nodejs_heap_space_size_total_bytes", "nodejs_heap_space_size_used_bytes", "nodejs_heap_space_size_available_bytes"];
for (const name of HEAP_WALKING_METRICS) registry.removeSingleMetric(name);

/** Seconds buckets from 1 ms to 30 s: requests, statements, Unipile calls. */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const metrics = {
  httpRequests: new Counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by route template, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  }),
  httpDuration: new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from a request's arrival to its answer, by route template, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  httpShed: new Counter({
    name: "http_requests_shed_total",
    help: "Requests refused before any work: pool full (overloaded), the caller's share used (caller_share), body too slow (body_timeout)",
    labelNames: ["pool", "reason"] as const,
    registers: [registry],
  }),
  httpInFlight: new Gauge({ name: "http_requests_in_flight", help: "Requests inside the service, by admission pool", labelNames: ["pool"] as const, registers: [registry] }),
  rateLimited: new Counter({
    name: "http_requests_rate_limited_total",
    help: "Requests answered 429 by the per-caller rate limit, by who was limited (user or ip)",
    labelNames: ["scope"] as const,
    registers: [registry],
  }),
  webhooks: new Counter({
    name: "unipile_webhooks_received_total",
    help: "Unipile webhook deliveries recorded, by kind and whether the log already had them",
    labelNames: ["kind", "duplicate"] as const,
    registers: [registry],
  }),
  appendDuration: new Histogram({
    name: "event_store_append_duration_seconds",
    help: "Duration of one group-commit append statement",
    buckets: SECONDS,
    registers: [registry],
  }),
  batchFacts: new Histogram({
    name: "event_store_group_commit_facts",
    help: "Facts per group-commit append statement",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    registers: [registry],
  }),
  projectionLagEvents: new Gauge({ name: "projection_lag_events", help: "Committed events a projection has not applied yet", labelNames: ["projection"] as const, registers: [registry] }),
  projectionLagSeconds: new Gauge({ name: "projection_lag_seconds", help: "Age of the oldest event a projection has not applied yet", labelNames: ["projection"] as const, registers: [registry] }),
  projectionBatch: new Histogram({
    name: "projection_batch_duration_seconds",
    help: "Duration of one projection batch (read, evolve, write, checkpoint)",
    labelNames: ["projection"] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  syncRuns: new Counter({ name: "sync_runs_total", help: "Sync runs by outcome (synced, failed, skipped, error)", labelNames: ["outcome"] as const, registers: [registry] }),
  syncBackoffs: new Counter({ name: "sync_backoffs_total", help: "Sync runs that ended in a backoff, by cause (unipile, internal)", labelNames: ["cause"] as const, registers: [registry] }),
  syncMessages: new Counter({
    name: "sync_messages_imported_total",
    help: "Messages the sync brought that the log did not have (poll), and messages a history import read (history)",
    labelNames: ["source"] as const,
    registers: [registry],
  }),
  unipileRequests: new Counter({
    name: "unipile_requests_total",
    help: "Unipile HTTP requests by operation and outcome (ok, or the failure's kind and status)",
    labelNames: ["operation", "outcome"] as const,
    registers: [registry],
  }),
  unipileDuration: new Histogram({
    name: "unipile_request_duration_seconds",
    help: "Duration of one Unipile HTTP request, by operation and outcome",
    labelNames: ["operation", "outcome"] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  unipileBudgetWait: new Histogram({
    name: "unipile_budget_wait_seconds",
    help: "Time a Unipile request waited for the service's request budget, by priority (command, background)",
    labelNames: ["priority"] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  lookupsInFlight: new Gauge({ name: "unipile_lookups_in_flight", help: "Background chat and message lookups running at Unipile", registers: [registry] }),
  lookupsQueued: new Gauge({ name: "unipile_lookups_queued", help: "Background lookups waiting for a slot", registers: [registry] }),
  sendsPaced: new Counter({
    name: "message_sends_paced_total",
    help: "Sends refused with 429 by the per-account pacing, by the limit that refused them",
    labelNames: ["limit"] as const,
    registers: [registry],
  }),
  eventStreams: new Gauge({ name: "event_streams_open", help: "Open server-sent event streams", registers: [registry] }),
  subscriptionLag: new Gauge({
    name: "subscription_delivery_lag_seconds",
    help: "Age of the oldest event an enabled webhook subscription has not delivered (the largest over subscriptions)",
    registers: [registry],
  }),
  subscriptionPending: new Gauge({ name: "subscription_pending_events", help: "Events waiting for delivery, over every enabled subscription", registers: [registry] }),
};

/** Starts a timer; the returned function answers the seconds elapsed since. */
export function startTimer(): () => number {
  const started = performance.now();
  return () => (performance.now() - started) / 1000;
}
