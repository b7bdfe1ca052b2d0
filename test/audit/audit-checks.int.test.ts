import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuditEvent } from "../../src/audit";
import { TOKEN, waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from "../support/harness";
import { AUDITOR, auditJson, settledAccount } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

type Json = Record<string, unknown>;
const user = () => `user-${crypto.randomUUID()}`;

interface Connection {
  accountId: string;
  accountIdentifier: string;
  qrCode: string;
}

async function connect(init: RequestInit & { as?: string }): Promise<Connection> {
  const response = await h.request("/api/unipile/connect-whatsapp", { method: "POST", ...init });
  expect(response.status).toBe(200);
  return (await response.json()) as Connection;
}

async function liveAccount(userId: string, accountId: string, until: (account: Json) => boolean = () => true): Promise<Json> {
  return waitFor(async () => {
    const { account } = (await (await h.request(`/api/unipile/account?accountId=${accountId}`, { as: userId })).json()) as { account: Json };
    return until(account) ? account : undefined;
  }, 10000);
}

interface Moment {
  step: string;
  account: Json;
  position: number;
  time: string;
}

describe("an account at a past point", () => {
  test("equals what GET /api/unipile/account showed then, by log position and by time", async () => {
    const owner = user();
    const moments: Moment[] = [];
    const { accountId, accountIdentifier: unipileId } = await connect({ as: owner });
    /** Once nothing about the account moves and the projection has applied it: what the API shows, and where the log stands. */
    const capture = async (step: string, until: (account: Json) => boolean) => {
      await liveAccount(owner, accountId, until);
      const last = await settledAccount(h, unipileId);
      expect(await h.deps.runner.waitFor({ transactionId: last.transactionId, globalPosition: last.globalPosition })).toBe(true);
      moments.push({ step, account: await liveAccount(owner, accountId), position: last.globalPosition, time: new Date().toISOString() });
      await Bun.sleep(5); // the next step's events are recorded after `time`, to the millisecond
    };

    // Given: connect, scan, credentials lost, disconnect
    await capture("connect", (a) => a.status === "pending");
    await h.control("POST", `/sandbox/accounts/${unipileId}/scan`, { phone_number: "33612345678", name: "Acme" });
    await capture("scan", (a) => a.status === "connected" && a.phoneNumber !== null);
    await h.control("POST", `/sandbox/accounts/${unipileId}/status`, { message: "CREDENTIALS" });
    await capture("credentials", (a) => a.status === "credentials_required");
    expect((await h.request(`/api/unipile/account?accountId=${accountId}`, { method: "DELETE", as: owner })).status).toBe(200);
    await capture("disconnect", (a) => a.status === "disconnected");
    expect(moments.map((m) => m.account.status)).toEqual(["pending", "connected", "credentials_required", "disconnected"]);

    // Then: each moment, asked by position and by time, by our id and by Unipile's
    for (const [i, moment] of moments.entries()) {
      const id = i % 2 === 0 ? accountId : unipileId;
      for (const at of [String(moment.position), moment.time]) {
        const state = await auditJson<{ account: Json; at: string; position: number }>(h, `/api/audit/accounts/${id}/state?at=${encodeURIComponent(at)}`);
        expect({ step: moment.step, at, account: state.account }).toEqual({ step: moment.step, at, account: moment.account });
        expect(state.position).toBe(moment.position);
      }
    }
    const now = await auditJson<{ account: Json }>(h, `/api/audit/accounts/${accountId}/state`);
    expect(now.account).toEqual(moments.at(-1)?.account as Json);

    const first = (await auditJson<{ items: AuditEvent[] }>(h, `/api/audit/events?accountId=${unipileId}&limit=1`)).items[0] as AuditEvent;
    const before = await h.request(`/api/audit/accounts/${accountId}/state?at=${first.globalPosition - 1}`, AUDITOR);
    expect(before.status).toBe(404);
    const beforeInTime = await h.request(`/api/audit/accounts/${unipileId}/state?at=${new Date(Date.parse(first.recordedAt) - 1).toISOString()}`, AUDITOR);
    expect(beforeInTime.status).toBe(404);
  });
});

describe("what the log records", () => {
  test("actors and request ids, sources and receipt times, Unipile's raw payloads, and no secret or token", async () => {
    // Given: a user's whole journey, with the tokens it used
    const owner = user();
    const jwt = await h.token(owner);
    const auth = { headers: { authorization: `Bearer ${jwt}` } };
    const connection = await connect(auth);
    const { accountId, accountIdentifier: unipileId } = connection;
    await h.control("POST", `/sandbox/accounts/${unipileId}/scan`, { phone_number: "33698765432" });
    await liveAccount(owner, accountId, (a) => a.status === "connected");
    await h.control("POST", `/sandbox/accounts/${unipileId}/incoming`, { from: "+33611111111", text: "Bonjour" });
    await h.control("POST", `/sandbox/accounts/${unipileId}/status`, { message: "CREDENTIALS" });
    await liveAccount(owner, accountId, (a) => a.status === "credentials_required");
    const again = await h.request(`/api/unipile/account/reconnect?accountId=${accountId}`, { method: "POST", ...auth });
    const { qrCode: secondQr } = (await again.json()) as Connection;
    const subscribed = await h.request("/api/subscriptions", { method: "POST", headers: { ...auth.headers, "content-type": "application/json" }, body: JSON.stringify({ url: "http://127.0.0.1:9/hooks", events: ["message.*"] }) });
    const { secret: subscriptionSecret, subscription } = (await subscribed.json()) as { secret: string; subscription: { id: string } };
    const rotation = await h.request(`/api/subscriptions/${subscription.id}/rotate-secret`, { method: "POST", ...auth });
    const { secret: rotatedSecret } = (await rotation.json()) as { secret: string };
    expect([subscriptionSecret, rotatedSecret]).toEqual([expect.stringMatching(/^whsec_/), expect.stringMatching(/^whsec_/)]);
    expect((await h.request(`/api/subscriptions/${subscription.id}`, { method: "DELETE", ...auth })).status).toBe(200);
    expect((await h.request(`/api/unipile/account?accountId=${accountId}`, { method: "DELETE", ...auth })).status).toBe(200);
    await settledAccount(h, unipileId);

    // When: an auditor exports the whole log
    const auditorJwt = await h.token("auditor-zoe", { roles: ["auditor"] });
    const response = await h.request("/api/audit/export", { headers: { authorization: `Bearer ${auditorJwt}` } });
    expect(response.headers.get("content-type")).toStartWith("application/x-ndjson");
    const text = await response.text();
    const events = text.trimEnd().split("\n").map((line) => JSON.parse(line) as AuditEvent);

    // Then
    const mine = events.filter((e) => e.streamId === `account:${unipileId}` || (e.data as Json).unipileAccountId === unipileId);
    expect(mine.map((e) => e.metadata.source)).toEqual(expect.arrayContaining(["command", "webhook"]));
    for (const event of events) {
      const { source, actor, requestId, receivedAt } = event.metadata;
      expect(["webhook", "poll", "command", "system"]).toContain(source);
      if (source === "command") expect({ type: event.type, actor, requestId }).toEqual({ type: event.type, actor: expect.any(String), requestId: expect.any(String) });
      if (source === "webhook" || source === "poll") expect({ type: event.type, receivedAt }).toEqual({ type: event.type, receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      if (source === "webhook") expect({ type: event.type, raw: typeof (event.data as Json).raw }).toEqual({ type: event.type, raw: "object" });
    }
    const commands = mine.filter((e) => e.metadata.source === "command");
    expect(commands.map((e) => e.type)).toEqual(["AccountConnectionRequested", "QrCodeRefreshed", "AccountDisconnected"]);
    expect(commands.every((e) => e.metadata.actor === owner)).toBe(true);
    const incoming = mine.find((e) => e.metadata.source === "webhook" && JSON.stringify(e.data).includes("Bonjour"));
    expect(incoming?.data).toMatchObject({ raw: { event: "message_received", account_id: unipileId } });

    expect(events.filter((e) => e.streamId === `subscription:${subscription.id}`).map((e) => e.type)).toEqual(["SubscriptionCreated", "SubscriptionSecretRotated", "SubscriptionDeleted"]);
    const secrets = {
      webhookSecret: TEST_WEBHOOK_SECRET,
      jwtSecret: TEST_JWT_SECRET,
      unipileAccessToken: TOKEN,
      userJwt: jwt,
      auditorJwt,
      firstQr: connection.qrCode,
      secondQr,
      subscriptionSecret,
      rotatedSubscriptionSecret: rotatedSecret,
      subscriptionSecretKey: subscriptionSecret.slice("whsec_".length),
    };
    const everyEvent = events.map((e) => JSON.stringify([e.data, e.metadata])).join("\n");
    const leaked = Object.entries(secrets).filter(([, secret]) => everyEvent.includes(secret));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});

describe("verify", () => {
  test("every projection rebuilt from the log equals its live tables; one run at a time", async () => {
    const report = await auditJson<{ ok: boolean; projections: { projection: string; ok: boolean; events: number; tables: { table: string; differing: number; liveRows: number }[] }[] }>(h, "/api/audit/verify");
    expect(report.ok).toBe(true);
    expect(report.projections.map((p) => p.projection)).toEqual(h.deps.projections.map((p) => p.name));
    expect(report.projections.flatMap((p) => p.tables.map((t) => t.differing))).toEqual(report.projections.flatMap((p) => p.tables.map(() => 0)));
    expect(report.projections.find((p) => p.projection === "accounts")?.tables[0]?.liveRows).toBeGreaterThan(1);

    const both = await Promise.all([h.request("/api/audit/verify", AUDITOR), h.request("/api/audit/verify", AUDITOR)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = (await both.find((r) => r.status === 409)?.json()) as Json;
    expect(refused).toMatchObject({ code: "CONFLICT", error: expect.any(String), requestId: expect.any(String) });
    expect((await h.request("/api/audit/verify", AUDITOR)).status).toBe(200);
  });
});
