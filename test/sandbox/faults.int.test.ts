/**
 * Fault injection: webhook retries against failing, wrong-status and slow
 * receivers (visible in /sandbox/deliveries), paused/dropped/duplicated/
 * delayed deliveries, and error rules on API routes.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Delivery, RunningSandbox } from "../../src/sandbox";
import { connectedAccount, control, startReceiver, startTestSandbox, TOKEN, waitFor } from "./support";

let sandbox: RunningSandbox;
beforeEach(async () => {
  sandbox = await startTestSandbox();
});
afterEach(() => sandbox.stop());

const hook = (url: string) => control(sandbox.url, "POST", "/api/v1/webhooks", { source: "messaging", request_url: url });
const incoming = (accountId: string, text: string) =>
  control<{ message_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/incoming`, { from: "33698765432", text });
const deliveries = async () => (await control<{ items: Delivery[] }>(sandbox.url, "GET", "/sandbox/deliveries?event=message_received")).items;

describe("webhook retries", () => {
  test("a receiver answering 500 gets the first attempt and 5 retries, with growing gaps", async () => {
    const receiver = startReceiver(() => 500);
    await hook(receiver.url);
    const accountId = await connectedAccount(sandbox.url);
    await incoming(accountId, "hello");
    const [delivery] = await waitFor(async () => {
      const list = await deliveries();
      return list[0]?.state === "failed" && list;
    });
    expect(delivery!.attempts.map((a) => a.status)).toEqual([500, 500, 500, 500, 500, 500]);
    expect(receiver.received).toHaveLength(6);
    const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
    expect(gaps[4]!).toBeGreaterThan(gaps[0]!);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    receiver.stop();
  });

  test("only an exact 200 counts: 204 is retried; a later 200 ends the retries", async () => {
    const receiver = startReceiver((n) => (n < 3 ? 204 : 200));
    await hook(receiver.url);
    const accountId = await connectedAccount(sandbox.url);
    await incoming(accountId, "hello");
    const [delivery] = await waitFor(async () => {
      const list = await deliveries();
      return list[0]?.state === "delivered" && list;
    });
    expect(delivery!.attempts.map((a) => a.status)).toEqual([204, 204, 200]);
    receiver.stop();
  });

  test("a receiver slower than the timeout is a failed attempt", async () => {
    const receiver = startReceiver(async (n) => (n === 1 ? (await Bun.sleep(800), 200) : 200));
    await hook(receiver.url);
    const accountId = await connectedAccount(sandbox.url);
    await incoming(accountId, "hello");
    const [delivery] = await waitFor(async () => {
      const list = await deliveries();
      return list[0]?.state === "delivered" && list;
    });
    expect(delivery!.attempts[0]).toMatchObject({ status: null, error: "timeout" });
    expect(delivery!.attempts[1]?.status).toBe(200);
    receiver.stop();
  });
});

describe("webhook delivery faults", () => {
  test("paused deliveries arrive, in order, when the faults are cleared", async () => {
    const receiver = startReceiver();
    await hook(receiver.url);
    const accountId = await connectedAccount(sandbox.url);
    await control(sandbox.url, "POST", "/sandbox/faults", { webhooks: { mode: "pause" } });
    await incoming(accountId, "one");
    await incoming(accountId, "two");
    expect((await deliveries()).map((d) => d.state)).toEqual(["paused", "paused"]);
    await sandbox.sandbox.context.deliverer.idle();
    expect(receiver.received).toHaveLength(0);
    await control(sandbox.url, "DELETE", "/sandbox/faults");
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received.map((r) => (r.json as { message: string }).message)).toEqual(["one", "two"]);
    receiver.stop();
  });

  test("dropped deliveries never arrive; duplicated ones arrive twice; delayed ones arrive late", async () => {
    const receiver = startReceiver();
    await hook(receiver.url);
    const accountId = await connectedAccount(sandbox.url);
    await control(sandbox.url, "POST", "/sandbox/faults", { webhooks: { mode: "drop", count: 1 } });
    await incoming(accountId, "dropped");
    await control(sandbox.url, "POST", "/sandbox/faults", { webhooks: { mode: "duplicate", count: 1 } });
    await incoming(accountId, "twice");
    await waitFor(() => receiver.received.length === 2);
    await control(sandbox.url, "POST", "/sandbox/faults", { webhooks: { mode: "delay", delay_ms: 300, count: 1 } });
    const before = Date.now();
    await incoming(accountId, "late");
    const late = await waitFor(() => receiver.received.find((r) => (r.json as { message: string }).message === "late"));
    expect(late.at - before).toBeGreaterThanOrEqual(290);
    await sandbox.sandbox.context.deliverer.idle();
    expect(receiver.received.map((r) => (r.json as { message: string }).message)).toEqual(["twice", "twice", "late"]);
    const log = await deliveries();
    expect(log.map((d) => d.state)).toEqual(["dropped", "delivered", "delivered", "delivered"]);
    expect(log[2]!.duplicate_of).toBe(log[1]!.id);
    receiver.stop();
  });
});

describe("API faults", () => {
  const get = (path: string) => fetch(`${sandbox.url}${path}`, { headers: { "X-API-KEY": TOKEN } });

  test("a counted rule fails matching calls only, in Unipile's error shape, with Retry-After", async () => {
    await control(sandbox.url, "POST", "/sandbox/faults", {
      http: [{ method: "GET", path: "/api/v1/chats*", status: 429, count: 2, retry_after_s: 3 }],
    });
    expect((await get("/api/v1/accounts")).status).toBe(200);
    const limited = await get("/api/v1/chats?limit=5");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(await limited.json()).toEqual({ status: 429, type: "errors/too_many_requests", title: "Too many requests", detail: "Injected by the sandbox." });
    expect((await get("/api/v1/chats")).status).toBe(429);
    expect((await get("/api/v1/chats")).status).toBe(200);
  });

  test("rate 0 never fires, rate 1 always; latency delays answers; DELETE clears", async () => {
    await control(sandbox.url, "POST", "/sandbox/faults", {
      latency_ms: 150,
      http: [
        { path: "/api/v1/messages", status: 500, rate: 0 },
        { path: "/api/v1/webhooks", status: 503, rate: 1, type: "errors/no_client_session" },
      ],
    });
    const started = Date.now();
    expect((await get("/api/v1/messages")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(await (await get("/api/v1/webhooks")).json()).toMatchObject({ status: 503, type: "errors/no_client_session" });
    await control(sandbox.url, "DELETE", "/sandbox/faults");
    expect((await get("/api/v1/webhooks")).status).toBe(200);
  });
});
