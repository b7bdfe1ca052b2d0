import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountStream } from "../../src/accounts/events";
import { verifyProjection } from "../../src/projections";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ QR_EXPIRY_MS: "1000" });
});
afterAll(() => h.close());

type Json = Record<string, unknown>;
const json = async (response: Response) => (await response.json()) as Json;
const errorShape = (code: string) => ({ error: expect.any(String), code, requestId: expect.any(String) });
const user = () => `user-${crypto.randomUUID()}`;

async function connect(userId: string) {
  const response = await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: userId });
  expect(response.status).toBe(200);
  return (await response.json()) as { accountId: string; accountIdentifier: string; qrCode: string; qrCodeString: string; qrSvg: string; expiresAt: string; status: string };
}

async function status(userId: string, accountId: string, wait?: number) {
  const query = `accountId=${accountId}${wait === undefined ? "" : `&wait=${wait}`}`;
  return json(await h.request(`/api/unipile/check-status?${query}`, { as: userId }));
}

async function statusBecomes(userId: string, accountId: string, expected: string) {
  return waitFor(async () => {
    const s = await status(userId, accountId, 2);
    return s.status === expected ? s : undefined;
  }, 10000);
}

const webhook = (body: unknown, secret = TEST_WEBHOOK_SECRET) =>
  h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": secret }, body: JSON.stringify(body) });

describe("the QR flow", () => {
  test("connect → QR → the phone scans → webhooks → check-status says connected", async () => {
    const alice = user();
    // Given
    const connection = await connect(alice);
    expect(connection.qrCode).toStartWith("2@");
    expect(connection.qrCodeString.length).toBeGreaterThan(100);
    expect(connection.qrSvg).toStartWith("<svg");
    expect(connection.status).toBe("pending");
    const pending = await status(alice, connection.accountId);
    expect(pending).toMatchObject({ status: "pending", connected: false, accountIdentifier: connection.accountIdentifier });

    // When: the phone scans, while the client waits on check-status
    const waiting = status(alice, connection.accountId, 10);
    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, { phone_number: "33612345678", name: "Acme Support" });

    // Then
    const changed = await waiting;
    expect(changed.status).toBe("connected");
    expect(changed.connected).toBe(true);
    const details = await waitFor(async () => {
      const s = await status(alice, connection.accountId);
      return s.phoneNumber ? s : undefined;
    }, 10000);
    expect(details).toMatchObject({ phoneNumber: "33612345678", name: "Acme Support", provider: "whatsapp", userId: alice });
    const list = await json(await h.request("/api/unipile/account", { as: alice }));
    expect((list.accounts as Json[]).map((a) => a.accountId)).toEqual([connection.accountId]);
  });

  test("a user may link several accounts", async () => {
    const carol = user();
    const first = await connect(carol);
    const second = await connect(carol);
    const list = await json(await h.request("/api/unipile/account", { as: carol }));
    expect((list.accounts as Json[]).map((a) => a.accountId).sort()).toEqual([first.accountId, second.accountId].sort());
  });

  test("the pairing-code variant answers a code", async () => {
    const response = await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: user(), json: { pairingPhoneNumber: "+33 6 12 34 56 78" } });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.pairingCode).toEqual(expect.any(String));
    expect(body.accountId).toEqual(expect.any(String));
  });

  test("an attempt not scanned in time expires; reconnect gives a new QR code that works", async () => {
    const dave = user();
    const connection = await connect(dave);
    await waitFor(async () => {
      await h.deps.accountMonitor.expireDue();
      return (await status(dave, connection.accountId)).status === "expired";
    }, 10000);

    const again = await h.request(`/api/unipile/account/reconnect?accountId=${connection.accountId}`, { method: "POST", as: dave });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ accountId: connection.accountId, status: "pending", qrCode: expect.stringMatching(/^2@/) });
    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, {});
    await statusBecomes(dave, connection.accountId, "connected");
  });
});

describe("status webhooks", () => {
  test("every AccountStatus value moves the account as documented", async () => {
    const erin = user();
    const connection = await connect(erin);
    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, {});
    await statusBecomes(erin, connection.accountId, "connected");
    const table: [string, string][] = [
      ["CREDENTIALS", "credentials_required"],
      ["CONNECTING", "connecting"],
      ["OK", "connected"],
      ["ERROR", "error"],
      ["RECONNECTED", "connected"],
      ["STOPPED", "stopped"],
      ["PERMISSIONS", "permissions_required"],
      ["SYNC_SUCCESS", "connected"],
      ["CREATION_FAIL", "failed"],
      ["CREATION_SUCCESS", "connected"],
      ["DELETED", "deleted"],
    ];
    for (const [word, expected] of table) {
      await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/status`, { message: word });
      const s = await statusBecomes(erin, connection.accountId, expected);
      expect(s.unipileStatus).toBe(word);
    }
  });

  test("five retries and 20 concurrent copies of one delivery are one fact", async () => {
    const frank = user();
    const connection = await connect(frank);
    const body = { AccountStatus: { account_id: connection.accountIdentifier, account_type: "WHATSAPP", message: "CREDENTIALS" } };
    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push(await json(await webhook(body)));
    const concurrent = await Promise.all(Array.from({ length: 20 }, async () => json(await webhook(body))));
    const positions = new Set([...sequential, ...concurrent].map((r) => r.position));
    expect(positions.size).toBe(1);
    const facts = (await h.deps.eventStore.readStream(accountStream(connection.accountIdentifier))).filter((e) => e.type === "AccountStatusReported");
    expect(facts).toHaveLength(1);
    expect(facts[0]?.metadata).toMatchObject({ source: "webhook", actor: "unipile", requestId: expect.any(String), receivedAt: expect.any(String) });
    expect(facts[0]?.data).toMatchObject({ raw: body });
    await statusBecomes(frank, connection.accountId, "credentials_required");
  });

  test("a status that arrives before the connection is recorded does not corrupt it", async () => {
    const gina = user();
    // The phone scans before the service records its request: simulate by sending status first for a fresh Unipile account.
    const direct = await h.deps.unipile.gateway.connectWhatsapp();
    if (!direct.ok) throw new Error("sandbox connect failed");
    const unipileId = direct.value.accountId;
    await webhook({ AccountStatus: { account_id: unipileId, account_type: "WHATSAPP", message: "CREATION_SUCCESS" } });
    await webhook({ AccountStatus: { account_id: unipileId, account_type: "WHATSAPP", message: "OK" } });
    await h.deps.eventStore.appendFacts([
      {
        streamId: accountStream(unipileId),
        type: "AccountConnectionRequested",
        data: { accountId: crypto.randomUUID(), userId: gina, unipileAccountId: unipileId, provider: "whatsapp", method: "qr", expiresAt: new Date(Date.now() + 60000).toISOString(), at: new Date().toISOString() },
        metadata: { source: "command", actor: gina },
      },
    ]);
    const list = await waitFor(async () => {
      const l = await json(await h.request("/api/unipile/account", { as: gina }));
      return (l.accounts as Json[]).length ? l : undefined;
    });
    expect((list.accounts as Json[])[0]).toMatchObject({ status: "connected", unipileStatus: "OK" });
  });

  test("a webhook for an account we do not know is recorded, answered 200 and kept for auditors", async () => {
    const response = await webhook({ AccountStatus: { account_id: "unknown-account-xyz", account_type: "WHATSAPP", message: "OK" } });
    expect(response.status).toBe(200);
    const events = await h.deps.eventStore.readStream(accountStream("unknown-account-xyz"));
    expect(events.map((e) => e.type)).toEqual(["AccountStatusReported"]);
    const odd = await webhook({ something: "Unipile may send one day" });
    expect(odd.status).toBe(200);
    expect(await json(odd)).toMatchObject({ kind: "unknown", duplicate: false });
    expect(await json(await webhook({ something: "Unipile may send one day" }))).toMatchObject({ duplicate: true });
  });

  test("the hosted-auth callback and messaging events are recorded once, whatever the content type", async () => {
    const hosted = { status: "CREATION_SUCCESS", account_id: "hosted-account-1", name: "user_8421" };
    const first = await webhook(hosted);
    expect(await json(first)).toMatchObject({ kind: "hosted_auth", duplicate: false });
    const [reported] = await h.deps.eventStore.readStream(accountStream("hosted-account-1"));
    expect(reported?.data).toMatchObject({ unipileStatus: "CREATION_SUCCESS", via: "hosted_auth", raw: hosted });

    const message = {
      event: "message_received",
      account_id: "acc-1",
      account_type: "WHATSAPP",
      chat_id: `chat-${crypto.randomUUID()}`,
      message_id: `msg-${crypto.randomUUID()}`,
      timestamp: "2025-03-15T10:42:07.000Z",
      message: "Bonjour",
      is_sender: false,
      attachments: [],
    };
    const typed = await h.app.request("/api/unipile/webhook", {
      method: "POST",
      headers: { "unipile-auth": TEST_WEBHOOK_SECRET, "content-type": "application/json" },
      body: JSON.stringify(message),
    });
    expect(await json(typed)).toMatchObject({ kind: "messaging", duplicate: false });
    expect(await json(await webhook(message))).toMatchObject({ kind: "messaging", duplicate: true });
    const reaction = { ...message, event: "message_reaction", reaction: "👍", reaction_sender: { attendee_id: "att-1" } };
    expect(await json(await webhook(reaction))).toMatchObject({ duplicate: false });
    expect(await json(await webhook(reaction))).toMatchObject({ duplicate: true });
    const facts = await h.deps.eventStore.readStream(`unipile-chat:${message.chat_id}`);
    expect(facts.map((f) => [f.type, (f.data as { event: string }).event])).toEqual([
      ["UnipileWebhookReceived", "message_received"],
      ["UnipileWebhookReceived", "message_reaction"],
    ]);
  });

  test("a status change Unipile's webhook never delivered is caught by the periodic check", async () => {
    const hank = user();
    const connection = await connect(hank);
    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, {});
    await statusBecomes(hank, connection.accountId, "connected");
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/status`, { message: "CREDENTIALS" });
    await h.control("DELETE", "/sandbox/faults");
    await Bun.sleep(100);
    expect((await status(hank, connection.accountId)).status).toBe("connected");

    await h.deps.accountMonitor.checkAll();
    const corrected = await statusBecomes(hank, connection.accountId, "credentials_required");
    expect(corrected.unipileStatus).toBe("CREDENTIALS");
    const [fact] = (await h.deps.eventStore.readStream(accountStream(connection.accountIdentifier))).filter(
      (e) => e.type === "AccountStatusReported" && e.metadata.source === "poll",
    );
    expect(fact?.data).toMatchObject({ via: "poll", unipileStatus: "CREDENTIALS" });
  });
});

describe("disconnect", () => {
  test("deletes at Unipile, records it, and a second call answers the same state", async () => {
    const ivan = user();
    const connection = await connect(ivan);
    await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, {});
    await statusBecomes(ivan, connection.accountId, "connected");

    const first = await h.request(`/api/unipile/account?accountId=${connection.accountId}`, { method: "DELETE", as: ivan });
    expect(first.status).toBe(200);
    expect(await json(first)).toMatchObject({ alreadyDisconnected: false, account: { status: "disconnected" } });
    const atUnipile = await h.deps.unipile.gateway.getAccount(connection.accountIdentifier);
    expect(!atUnipile.ok && atUnipile.error.kind === "http" && atUnipile.error.status).toBe(404);

    const second = await h.request(`/api/unipile/account?accountId=${connection.accountId}`, { method: "DELETE", as: ivan });
    expect(second.status).toBe(200);
    expect(await json(second)).toMatchObject({ alreadyDisconnected: true, account: { status: "disconnected" } });

    const reconnect = await h.request(`/api/unipile/account/reconnect?accountId=${connection.accountId}`, { method: "POST", as: ivan });
    expect(reconnect.status).toBe(409);
    expect(await json(reconnect)).toEqual(errorShape("ACCOUNT_DISCONNECTED"));
  });

  test("a Unipile failure answers 502 with Unipile's reason and records nothing", async () => {
    const judy = user();
    const connection = await connect(judy);
    await h.control("POST", "/sandbox/faults", { http: [{ method: "DELETE", path: "/api/v1/accounts/*", status: 500, count: 1 }] });
    const response = await h.request(`/api/unipile/account?accountId=${connection.accountId}`, { method: "DELETE", as: judy });
    await h.control("DELETE", "/sandbox/faults");
    expect(response.status).toBe(502);
    expect(await json(response)).toMatchObject({ ...errorShape("UPSTREAM_FAILED"), details: { unipile: { status: 500 } } });
    expect((await status(judy, connection.accountId)).status).toBe("pending");
  });
});

describe("isolation", () => {
  test("another user's account answers 404 on every route, and nothing changes", async () => {
    const owner = user();
    const intruder = user();
    const { accountId } = await connect(owner);
    const attempts = [
      h.request(`/api/unipile/check-status?accountId=${accountId}`, { as: intruder }),
      h.request(`/api/unipile/account?accountId=${accountId}`, { as: intruder }),
      h.request(`/api/unipile/account?accountId=${accountId}`, { method: "DELETE", as: intruder }),
      h.request(`/api/unipile/account/reconnect?accountId=${accountId}`, { method: "POST", as: intruder }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual(errorShape("ACCOUNT_NOT_FOUND"));
    }
    expect((await json(await h.request("/api/unipile/account", { as: intruder }))).accounts).toEqual([]);
    expect((await status(owner, accountId)).status).toBe("pending");
  });
});

describe("bad input", () => {
  test.each([
    ["missing accountId", "/api/unipile/check-status", "GET"],
    ["malformed accountId", "/api/unipile/check-status?accountId=123", "GET"],
    ["wait over 30 s", `/api/unipile/check-status?accountId=${crypto.randomUUID()}&wait=31`, "GET"],
    ["missing accountId on delete", "/api/unipile/account", "DELETE"],
    ["malformed accountId on reconnect", "/api/unipile/account/reconnect?accountId=abc", "POST"],
  ])("%s → 400", async (_, path, method) => {
    const response = await h.request(path, { method, as: user() });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ ...errorShape("VALIDATION_FAILED"), details: expect.any(Array) });
  });

  test("connect: malformed JSON, wrong content type, bad phone number, oversized body", async () => {
    const as = user();
    const post = (body: string, type: string) => h.request("/api/unipile/connect-whatsapp", { method: "POST", as, headers: { "content-type": type }, body });
    const malformed = await post("{", "application/json");
    expect([malformed.status, (await json(malformed)).code]).toEqual([400, "MALFORMED_JSON"]);
    const wrongType = await post("pairingPhoneNumber=1", "application/x-www-form-urlencoded");
    expect([wrongType.status, (await json(wrongType)).code]).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    const badPhone = await post('{"pairingPhoneNumber":"12ab"}', "application/json");
    expect([badPhone.status, (await json(badPhone)).code]).toEqual([400, "VALIDATION_FAILED"]);
    const huge = await post(JSON.stringify({ pad: "x".repeat(2 * 1024 * 1024) }), "application/json");
    expect([huge.status, (await json(huge)).code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
  });

  test("webhook: wrong or missing secret is 401 and records nothing; malformed body is 400", async () => {
    const body = { AccountStatus: { account_id: "secret-test-account", account_type: "WHATSAPP", message: "OK" } };
    const wrong = await webhook(body, "not-the-secret");
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toEqual(errorShape("UNAUTHENTICATED"));
    const missing = await h.app.request("/api/unipile/webhook", { method: "POST", body: JSON.stringify(body) });
    expect(missing.status).toBe(401);
    expect(await h.deps.eventStore.readStream(accountStream("secret-test-account"))).toEqual([]);
    const malformed = await h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body: "{not json" });
    expect([malformed.status, (await json(malformed)).code]).toEqual([400, "MALFORMED_JSON"]);
  });

  test("routes without a token are 401", async () => {
    const response = await h.app.request("/api/unipile/account");
    expect(response.status).toBe(401);
  });
});

describe("replay", () => {
  test("rebuilding the accounts projection from the log equals the live table", async () => {
    for (const projection of h.deps.projections) {
      const report = await verifyProjection(h.deps.sql, projection);
      expect(report.tables.map((t) => [t.table, t.differing])).toEqual(projection.tables.map((table) => [table, 0]));
      // This file makes accounts (and their messaging rows), not webhook subscriptions.
      if (projection.name !== "subscriptions") expect(report.tables[0]?.liveRows).toBeGreaterThan(5);
    }
  });

  test("bun run replay --verify passes, and bun run replay swaps in an equal table", async () => {
    const run = (...args: string[]) =>
      Bun.spawn(["bun", "scripts/replay.ts", ...args], { env: { ...process.env, DATABASE_URL: h.tdb.url }, stdout: "pipe", stderr: "pipe" });
    const verify = run("--verify");
    const out = await new Response(verify.stdout).text();
    expect(await verify.exited).toBe(0);
    expect(out).toContain("accounts / accounts:");
    expect(out).toContain(": OK");
    const rebuild = run();
    expect(await rebuild.exited).toBe(0);
    expect((await verifyProjection(h.deps.sql, h.deps.projections[0] as never)).ok).toBe(true);
  });
});
