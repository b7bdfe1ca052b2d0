/**
 * The gateway against the sandbox over HTTP (and two tiny odd servers for
 * non-JSON errors and wrong shapes): typed results, retries, Retry-After,
 * timeouts and failure mapping.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSandbox } from "../../src/sandbox";
import { createUnipileGateway, type UnipileGatewayOptions } from "../../src/unipile/gateway";
import { connectedAccount, control, startTestSandbox, TOKEN } from "../sandbox/support";

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

const gatewayFor = (overrides: Partial<UnipileGatewayOptions> = {}) =>
  createUnipileGateway({
    dsn: `${sandbox.url}/`,
    accessToken: TOKEN,
    timeoutMs: 2000,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    validateResponses: true,
    ...overrides,
  });

const faults = (body: unknown) => control(sandbox.url, "POST", "/sandbox/faults", body);
const clearFaults = () => control(sandbox.url, "DELETE", "/sandbox/faults");

describe("happy paths (SDK validators on)", () => {
  test("connect, scan, read, send with attachment and quote, download, start chat, mark read, delete", async () => {
    const gateway = gatewayFor();
    const qr = await gateway.connectWhatsapp();
    if (!qr.ok) throw new Error(JSON.stringify(qr.error));
    await control(sandbox.url, "POST", `/sandbox/accounts/${qr.value.accountId}/scan`, {
      phone_number: "33611110000",
      history: { chats: 3, messages_per_chat: 2 },
    });
    const account = await gateway.getAccount(qr.value.accountId);
    expect(account.ok && account.value.sources[0]?.status).toBe("OK");
    expect((await gateway.listAccounts()).ok).toBe(true);

    const chats = await gateway.listChats({ accountId: qr.value.accountId, limit: 2 });
    if (!chats.ok) throw new Error(JSON.stringify(chats.error));
    expect(chats.value.items).toHaveLength(2);
    expect(chats.value.cursor).not.toBeNull();
    const chatId = chats.value.items[0]!.id;
    const chat = await gateway.getChat(chatId);
    expect(chat.ok && chat.value.lastMessage?.chat_id).toBe(chatId);
    const messages = await gateway.listChatMessages({ chatId });
    if (!messages.ok) throw new Error("messages");
    const sent = await gateway.sendMessage({
      chatId,
      text: "",
      attachments: [{ fileName: "photo.jpg", bytes: new Uint8Array([0xff, 0xd8, 0xff]) }],
      quoteId: messages.value.items[0]!.id,
    });
    if (!sent.ok || !sent.value.messageId) throw new Error(JSON.stringify(sent));
    const message = await gateway.getMessage(sent.value.messageId);
    if (!message.ok) throw new Error("message");
    expect(message.value.text).toBe("");
    expect(message.value.is_sender).toBe(true);
    const attachment = await gateway.getAttachment({ messageId: message.value.id, attachmentId: message.value.attachments[0]!.id });
    expect(attachment.ok && attachment.value).toEqual({ bytes: new Uint8Array([0xff, 0xd8, 0xff]), mimeType: "image/jpeg" });

    const started = await gateway.startNewChat({ accountId: qr.value.accountId, attendeeIds: ["33655554444@s.whatsapp.net"], text: "Bonjour" });
    if (!started.ok || !started.value.chatId) throw new Error("start");
    expect((await gateway.markChatRead(started.value.chatId)).ok).toBe(true);
    const attendees = await gateway.listChatAttendees(started.value.chatId);
    expect(attendees.ok && attendees.value.map((a) => a.is_self)).toEqual([true, false]);
    const all = await gateway.listMessages({ accountId: qr.value.accountId });
    expect(all.ok && all.value.items.length).toBe(8);

    expect((await gateway.deleteAccount(qr.value.accountId)).ok).toBe(true);
    expect(await gateway.getAccount(qr.value.accountId)).toMatchObject({ ok: false, error: { kind: "http", status: 404, type: "errors/resource_not_found" } });
  });

  test("pairing-code connect and reconnect give checkpoints", async () => {
    const gateway = gatewayFor();
    const pairing = await gateway.connectWhatsappWithPairingCode("+33 6 12 34 56 78");
    expect(pairing.ok && pairing.value.pairingCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    if (!pairing.ok) return;
    const again = await gateway.reconnectWhatsapp(pairing.value.accountId);
    expect(again.ok && again.value.accountId).toBe(pairing.value.accountId);
  });
});

describe("retries and failures", () => {
  test("a 429 with Retry-After is waited out, then the call succeeds", async () => {
    const accountId = await connectedAccount(sandbox.url, "33622220000");
    await faults({ http: [{ method: "GET", path: `/api/v1/accounts/${accountId}`, status: 429, count: 1, retry_after_s: 1 }] });
    const delays: number[] = [];
    const gateway = gatewayFor({ sleep: (ms) => (delays.push(ms), Bun.sleep(ms)) });
    const started = performance.now();
    const account = await gateway.getAccount(accountId);
    const elapsed = performance.now() - started;
    expect(account.ok).toBe(true);
    expect(delays).toEqual([1000]);
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
    await clearFaults();
  });

  test("429 is retried even for a send; a Retry-After beyond the cap is returned to the caller", async () => {
    const accountId = await connectedAccount(sandbox.url, "33622220001", { chats: 1, messages_per_chat: 1 });
    const gateway = gatewayFor({ sleep: async () => {}, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 5000 } });
    const chats = await gateway.listChats({ accountId });
    const chatId = chats.ok ? chats.value.items[0]!.id : "";
    await faults({ http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 429, count: 1, retry_after_s: 2 }] });
    expect((await gateway.sendMessage({ chatId, text: "hi" })).ok).toBe(true);
    await faults({ http: [{ method: "POST", path: "/api/v1/chats/*/messages", status: 429, count: 1, retry_after_s: 60 }] });
    expect(await gateway.sendMessage({ chatId, text: "hi" })).toEqual({
      ok: false,
      error: { kind: "http", status: 429, type: "errors/too_many_requests", title: "Too many requests", detail: "Injected by the sandbox.", retryAfterMs: 60_000 },
    });
    await clearFaults();
  });

  test("503 on a read is retried with growing, jittered backoff; 500 on a write is not retried", async () => {
    const delays: number[] = [];
    const gateway = gatewayFor({ sleep: async (ms) => void delays.push(ms), random: () => 0.999, retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 } });
    await faults({ http: [{ method: "GET", path: "/api/v1/accounts", status: 503, count: 3 }] });
    expect((await gateway.listAccounts()).ok).toBe(true);
    expect(delays).toEqual([100, 200, 250]);
    delays.length = 0;
    await faults({ http: [{ method: "POST", path: "/api/v1/accounts", status: 500, count: 1 }] });
    expect(await gateway.connectWhatsapp()).toMatchObject({ ok: false, error: { kind: "http", status: 500, type: "errors/unexpected_error" } });
    expect(delays).toEqual([]);
    await clearFaults();
  });

  test("exhausted retries return the last failure; a slow Unipile is a timeout", async () => {
    const gateway = gatewayFor({ sleep: async () => {} });
    await faults({ http: [{ method: "GET", path: "/api/v1/accounts", status: 502 }] });
    expect(await gateway.listAccounts()).toMatchObject({ ok: false, error: { kind: "http", status: 502 } });
    await clearFaults();
    await faults({ latency_ms: 300 });
    const slow = gatewayFor({ timeoutMs: 100, sleep: async () => {}, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(await slow.listAccounts()).toEqual({ ok: false, error: { kind: "timeout", timeoutMs: 100 } });
    await clearFaults();
  });

  test("a disconnected account's send maps to http 401 disconnected_account", async () => {
    const accountId = await connectedAccount(sandbox.url, "33622220002", { chats: 1, messages_per_chat: 1 });
    const gateway = gatewayFor();
    const chats = await gateway.listChats({ accountId });
    await control(sandbox.url, "POST", `/sandbox/accounts/${accountId}/status`, { message: "CREDENTIALS" });
    const sent = await gateway.sendMessage({ chatId: chats.ok ? chats.value.items[0]!.id : "", text: "x" });
    expect(sent).toMatchObject({ ok: false, error: { kind: "http", status: 401, type: "errors/disconnected_account" } });
  });
});

describe("odd peers", () => {
  test("connection refused is a network failure", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const url = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const gateway = createUnipileGateway({ dsn: url, accessToken: TOKEN, timeoutMs: 500, sleep: async () => {} });
    expect(await gateway.listAccounts()).toMatchObject({ ok: false, error: { kind: "network" } });
  });

  test("a non-JSON error body (a Blob to the SDK) still maps to http with the real status", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("Bad gateway from the proxy", { status: 502, headers: { "content-type": "text/html" } }) });
    const gateway = createUnipileGateway({ dsn: `http://127.0.0.1:${server.port}`, accessToken: TOKEN, timeoutMs: 500, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    expect(await gateway.getMessage("m")).toEqual({
      ok: false,
      error: { kind: "http", status: 502, type: "errors/http_502", title: "", detail: "Bad gateway from the proxy" },
    });
    await server.stop(true);
  });

  test("a 2xx body of the wrong shape is invalid_response, with or without SDK validation", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ object: "Message", id: "x" }) });
    for (const validateResponses of [true, false]) {
      const gateway = createUnipileGateway({ dsn: `http://127.0.0.1:${server.port}`, accessToken: TOKEN, timeoutMs: 500, validateResponses });
      const result = await gateway.getMessage("x");
      expect(result).toMatchObject({ ok: false, error: { kind: "invalid_response" } });
    }
    await server.stop(true);
  });
});
