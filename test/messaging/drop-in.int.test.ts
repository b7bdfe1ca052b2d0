/**
 * The CommSync web app's calls, unchanged: its usage example sent byte for
 * byte with a real NextAuth 4 cookie and a real Auth.js 5 cookie reaches the
 * sandbox; its routes answer with a cookie as with a bearer token; account
 * objects carry `id`; `platform` and national recipients are accepted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { phoneJid } from "../../src/lib/phone";
import { createHarness, type Harness } from "../support/harness";
import { type CookieKind, SESSION_ENV, sessionCookie } from "../support/session-cookies";
import { waitFor } from "../sandbox/support";
import { type ConnectedAccount, connectAccount as connect, errorShape, type Json, newPhone, newUser, send } from "./support";

/** A connected account whose own number is known (fetched from Unipile right after the scan). */
async function connectAccount(harness: Harness, userId?: string, phone?: string): Promise<ConnectedAccount> {
  const account = await connect(harness, userId, phone);
  await waitFor(async () => {
    const { account: row } = (await (await harness.request(`/api/unipile/account?accountId=${account.accountId}`, { as: account.userId })).json()) as { account: Json };
    return row.phoneNumber === account.phone;
  }, 10000);
  return account;
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness(SESSION_ENV);
});
afterAll(() => h.close());

/** The seed's usage example, keys in its order. */
const usageExample = (accountId: string) => `{"content":"Hello from CommSync!","recipients":["123456789"],"accountId":"${accountId}","platform":"unipile"}`;

/** The JSON's shape: its keys, and the keys of the objects (and first array items) in it, two levels down. */
function shape(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) return depth < 2 && value.length > 0 ? [shape(value[0], depth + 1)] : "array";
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, depth < 2 ? shape(v, depth + 1) : "value"]));
  return "value";
}

describe("the seed's usage example", () => {
  test.each<CookieKind>(["next-auth-4", "authjs-5"])("sent byte for byte with a %s cookie: 200, and it reaches the sandbox", async (kind) => {
    const account = await connectAccount(h, newUser(), newPhone());
    const response = await h.app.request("/api/unipile/message", {
      method: "POST",
      headers: { cookie: await sessionCookie(kind, account.userId), "content-type": "application/json" },
      body: usageExample(account.accountId),
    });
    expect(response.status).toBe(200);
    const sent = (await response.json()) as { success: boolean; messageId: string; message: { text: string; unipileMessageId: string } };
    expect(sent).toMatchObject({ success: true, message: { text: "Hello from CommSync!" } });

    // The account's number is French (+33…): 123456789 is completed to 33123456789.
    const atUnipile = await h.deps.unipile.gateway.getMessage(sent.message.unipileMessageId);
    if (!atUnipile.ok) throw new Error("getMessage failed");
    expect(atUnipile.value.text).toBe("Hello from CommSync!");
    const chat = await h.deps.unipile.gateway.getChat(atUnipile.value.chat_id);
    if (!chat.ok) throw new Error("getChat failed");
    expect(chat.value.attendee_provider_id).toBe(phoneJid("33123456789"));
  });
});

describe("fields the app uses", () => {
  test("platform: unipile, whatsapp (any case) or nothing; anything else is a 400 naming both", async () => {
    const account = await connectAccount(h);
    for (const platform of ["unipile", "UniPile", "whatsapp", "WhatsApp", undefined]) {
      const response = await send(h, account.userId, { content: `via ${platform}`, recipients: [newPhone()], accountId: account.accountId, ...(platform ? { platform } : {}) });
      expect(response.status).toBe(200);
    }
    const refused = await send(h, account.userId, { content: "x", recipients: [newPhone()], accountId: account.accountId, platform: "telegram" });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("must be unipile or whatsapp");
  });

  test("national digits with a trunk 0 are completed too; with 11+ digits the country code is taken as written", async () => {
    const account = await connectAccount(h);
    const sendTo = async (recipient: string) => {
      const response = await send(h, account.userId, { content: `to ${recipient}`, recipients: [recipient], accountId: account.accountId });
      const body = (await response.json()) as Json;
      expect({ recipient, status: response.status, body }).toMatchObject({ recipient, status: 200 });
      return body;
    };
    const national = await sendTo("06 12 34 56 78");
    const international = await sendTo("447700900123");
    for (const [answer, phone] of [[national, "33612345678"], [international, "447700900123"]] as const) {
      const message = await h.deps.unipile.gateway.getMessage((answer.message as { unipileMessageId: string }).unipileMessageId);
      if (!message.ok) throw new Error("getMessage failed");
      const chat = await h.deps.unipile.gateway.getChat(message.value.chat_id);
      expect(chat.ok && chat.value.attendee_provider_id).toBe(phoneJid(phone));
    }
  });

  test("national digits on an account whose own number is unknown: 400 saying to add the country code", async () => {
    const userId = newUser();
    const pending = (await (await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: userId })).json()) as { accountId: string };
    const response = await send(h, userId, { content: "x", recipients: ["123456789"], accountId: pending.accountId });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Json;
    expect(body).toMatchObject({ ...errorShape("VALIDATION_FAILED"), error: expect.stringContaining("add the country code") });
  });

  test("every account object carries id, the same as accountId", async () => {
    const account = await connectAccount(h);
    const list = (await (await h.request("/api/unipile/account", { as: account.userId })).json()) as { accounts: Json[] };
    expect(list.accounts[0]).toMatchObject({ id: account.accountId, accountId: account.accountId });
    const status = (await (await h.request(`/api/unipile/check-status?accountId=${account.accountId}`, { as: account.userId })).json()) as Json;
    expect(status).toMatchObject({ id: account.accountId, accountId: account.accountId });
    const connection = (await (await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: account.userId })).json()) as Json;
    expect(connection.id).toBe(connection.accountId as string);
  });

  test("the terminal QR code has an explicit white background (it scans on a dark terminal too)", async () => {
    const connection = (await (await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: newUser() })).json()) as { qrCodeTerminal: string };
    const lines = connection.qrCodeTerminal.split("\n").filter((l) => l !== "");
    // Every row sets white background and black foreground before drawing (ESC[47m, ESC[30m)
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line).toContain("\x1b[47m\x1b[30m");
  });
});

describe("the app's routes answer with a cookie as with a bearer token", () => {
  test("every /api/unipile route: same status, same answer shape", async () => {
    const userId = newUser();
    const a = await connectAccount(h, userId);
    const b = await connectAccount(h, userId);
    const withBearer = async (path: string, init: RequestInit = {}) => h.request(path, { ...init, as: userId });
    const withCookie = async (path: string, init: RequestInit = {}) =>
      h.app.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), cookie: await sessionCookie("next-auth-4", userId) } });
    const json = { "content-type": "application/json" };
    const calls: [string, (id: string) => [string, RequestInit]][] = [
      ["GET account", () => ["/api/unipile/account", {}]],
      ["GET check-status", (id) => [`/api/unipile/check-status?accountId=${id}`, {}]],
      ["POST connect-whatsapp", () => ["/api/unipile/connect-whatsapp", { method: "POST" }]],
      ["POST message", (id) => ["/api/unipile/message", { method: "POST", headers: json, body: `{"content":"same","recipients":["${newPhone()}"],"accountId":"${id}","platform":"unipile"}` }]],
      ["POST sync", (id) => ["/api/unipile/sync", { method: "POST", headers: json, body: JSON.stringify({ accountId: id }) }]],
      ["POST start-sync", () => ["/api/unipile/start-sync", { method: "POST" }]],
      ["POST account/reconnect", (id) => [`/api/unipile/account/reconnect?accountId=${id}`, { method: "POST" }]],
      ["DELETE account", (id) => [`/api/unipile/account?accountId=${id}`, { method: "DELETE" }]],
    ];
    for (const [name, call] of calls) {
      const bearer = await withBearer(...call(a.accountId));
      const cookie = await withCookie(...call(b.accountId));
      expect({ name, status: cookie.status }).toEqual({ name, status: bearer.status });
      expect({ name, shape: shape(await cookie.json()) }).toEqual({ name, shape: shape(await bearer.json()) });
    }
  });

  test("a cross-site POST with the cookie is refused", async () => {
    const account = await connectAccount(h);
    const response = await h.app.request("http://localhost/api/unipile/message", {
      method: "POST",
      headers: { cookie: await sessionCookie("authjs-5", account.userId), "content-type": "application/json", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      body: usageExample(account.accountId),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual(errorShape("CROSS_SITE_REQUEST"));
  });
});
