/**
 * GET /metrics, scraped while the test drives webhooks, sends and a sync
 * through the real app, the sandbox and Postgres: the series move.
 * Access: loopback peers only without METRICS_TOKEN (a forwarded request is
 * refused), the bearer token with it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app";
import { errorShape, newPhone, send } from "../messaging/support";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { incoming, linkAccount, syncNow } from "../sync/support";
import { hasSeries, valueOf } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ SYNC_INTERVAL_MS: "100", SYNC_LEASE_MS: "2000", SYNC_CATCH_UP_AFTER_MS: "600000" });
});
afterAll(async () => {
  await h.close();
});

const scrape = async () => {
  const response = await h.request("/metrics");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
};

describe("metrics", () => {
  test("webhooks, sends and a sync move their series", async () => {
    const before = await scrape();
    // Given: a linked account, synced once
    const linked = await linkAccount(h);
    const [synced] = await syncNow(h, linked.userId, linked.accountId);
    expect(synced).toMatchObject({ outcome: "synced" });

    // When: a contact writes (a webhook over HTTP), the user answers, and the account is synced again
    const contact = newPhone();
    const message = await incoming(h, linked.unipileAccountId, { from: contact, name: "Marie Dupont", text: "Bonjour" });
    await waitFor(async () => valueOf(await scrape(), "unipile_webhooks_received_total", { kind: "messaging", duplicate: "false" }) > valueOf(before, "unipile_webhooks_received_total", { kind: "messaging", duplicate: "false" }), 10000);
    const sent = await send(h, linked.userId, { accountId: linked.accountId, recipients: [contact], content: "Bonjour !" });
    expect(sent.status).toBe(200);
    await syncNow(h, linked.userId, linked.accountId);
    await h.deps.messaging.fetcher.settled();
    expect(message.chat_id).toBeString();

    // Then
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(moved("http_requests_total", { route: "/api/unipile/message", method: "POST", status: "200" })).toBe(1);
    expect(moved("http_request_duration_seconds_count", { route: "/api/unipile/message", method: "POST", status: "200" })).toBe(1);
    expect(moved("http_requests_total", { route: "/api/unipile/sync", method: "POST", status: "200" })).toBe(2);
    expect(moved("unipile_webhooks_received_total", { kind: "messaging", duplicate: "false" })).toBeGreaterThanOrEqual(1);
    expect(moved("unipile_webhooks_received_total", { kind: "account_status" })).toBeGreaterThanOrEqual(1);
    expect(moved("event_store_append_duration_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(moved("event_store_group_commit_facts_sum")).toBeGreaterThanOrEqual(1);
    expect(moved("sync_runs_total", { outcome: "synced" })).toBeGreaterThanOrEqual(2);
    // Into the contact's chat, or a new chat when the projection had not shown it yet
    expect(moved("unipile_requests_total", { operation: "sendMessage", outcome: "ok" }) + moved("unipile_requests_total", { operation: "startNewChat", outcome: "ok" })).toBe(1);
    expect(moved("unipile_requests_total", { operation: "listMessages", outcome: "ok" })).toBeGreaterThanOrEqual(2);
    expect(moved("unipile_request_duration_seconds_count", { operation: "getChat" })).toBeGreaterThanOrEqual(1);
    expect(moved("projection_batch_duration_seconds_count", { projection: "messaging" })).toBeGreaterThanOrEqual(1);
    for (const projection of h.deps.projections) {
      expect(hasSeries(after, "projection_lag_events", { projection: projection.name })).toBe(true);
      expect(hasSeries(after, "projection_lag_seconds", { projection: projection.name })).toBe(true);
    }
    expect(hasSeries(after, "process_cpu_seconds_total")).toBe(true);
    expect(hasSeries(after, "event_streams_open")).toBe(true);
    expect(hasSeries(after, "subscription_delivery_lag_seconds")).toBe(true);
    // Route templates, never raw paths: no id becomes a series
    expect(after).not.toContain(linked.accountId);
  });

  test("without METRICS_TOKEN: served to a loopback peer, refused when forwarded", async () => {
    expect((await fetch(`${h.url}/metrics`)).status).toBe(200);
    const forwarded = await fetch(`${h.url}/metrics`, { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(forwarded.status).toBe(403);
    expect(await forwarded.json()).toEqual(errorShape("FORBIDDEN"));
  });

  test("with METRICS_TOKEN: only the bearer token", async () => {
    const token = "metrics-token-0123456789";
    const config = { ...h.deps.config, operations: { ...h.deps.config.operations, metricsToken: token } };
    const app = createApp({ ...h.deps, config });
    const none = await app.request("/metrics");
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual(errorShape("UNAUTHENTICATED"));
    expect((await app.request("/metrics", { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    const ok = await app.request("/metrics", { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("http_requests_total");
  });
});
