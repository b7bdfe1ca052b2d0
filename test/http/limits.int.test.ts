/**
 * Input limits, over a real server on loopback: JSON nesting (JSON_MAX_DEPTH,
 * here 8), times outside years 0001–9999 and tampered cursors, text Postgres
 * cannot store, and the size of the request head (HTTP_MAX_HEADER_BYTES, here
 * 4096; past Bun's own limit the parser answers an empty 431).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { raiseNativeHeaderLimit } from "../../src/http/server";
import { connectAccount, type ConnectedAccount, conversationOf, errorShape } from "../messaging/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";

const MAX_DEPTH = 8;
const MAX_HEADER_BYTES = 4096;

let h: Harness;
let account: ConnectedAccount;
let conversationId: string;
let bearer: string;
beforeAll(async () => {
  h = await createHarness({ JSON_MAX_DEPTH: String(MAX_DEPTH), HTTP_MAX_HEADER_BYTES: String(MAX_HEADER_BYTES) });
  account = await connectAccount(h);
  const incoming = await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, { from: "33698765432", text: "Bonjour" });
  conversationId = (await conversationOf(h, account.userId, incoming.chat_id)).id;
  bearer = `Bearer ${await h.token(account.userId, { roles: ["auditor"] })}`;
}, 30_000);
afterAll(() => h.close());

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${h.url}${path}`, { ...init, headers: { authorization: bearer, "unipile-auth": TEST_WEBHOOK_SECRET, ...(init.headers as Record<string, string>) } });
const postJson = (path: string, body: string) => call(path, { method: "POST", headers: { "content-type": "application/json" }, body });

async function expectError(response: Response, status: number, code: string) {
  const body = (await response.json()) as Record<string, unknown>;
  // A copy: Bun's toMatchObject writes the pattern's matchers into what it matched.
  expect(structuredClone({ status: response.status, body })).toMatchObject({ status, body: errorShape(code) });
  expect(response.headers.get("x-request-id")).toBe(body.requestId as string);
  return body;
}

const nestedIn = (value: unknown, levels: number): unknown => (levels === 0 ? value : { n: nestedIn(value, levels - 1) });
/** Events recorded while serving these requests. */
const eventsOf = async (requestIds: unknown[]) =>
  Number((await h.deps.sql<{ n: string }[]>`select count(*)::text as n from events where metadata->>'requestId' = any(${requestIds as string[]})`)[0]?.n);
const webhookBody = async (extra: Record<string, unknown>) => {
  const fixture = (await Bun.file(join(import.meta.dir, "../fixtures/unipile/message-received-whatsapp.json")).json()) as Record<string, unknown>;
  return JSON.stringify({ ...fixture, account_id: account.unipileAccountId, message_id: `limits-${crypto.randomUUID()}`, ...extra });
};

describe("JSON nesting", () => {
  test("a body nesting past JSON_MAX_DEPTH is 400 JSON_TOO_DEEP on every JSON route, and the webhook records nothing", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const refused: unknown[] = [];
    for (const path of ["/api/unipile/webhook", "/api/unipile/connect-whatsapp", "/api/unipile/sync", "/api/unipile/message"]) {
      const body = await expectError(await postJson(path, deep), 400, "JSON_TOO_DEEP");
      expect(body.error as string).toContain(`deeper than ${MAX_DEPTH} levels`);
      refused.push(body.requestId);
    }
    refused.push((await expectError(await postJson("/api/unipile/webhook", await webhookBody({ extra: nestedIn(1, MAX_DEPTH) })), 400, "JSON_TOO_DEEP")).requestId);
    // A multipart field holding JSON is read with the same bound.
    const form = new FormData();
    form.append("accountId", account.accountId);
    form.append("recipients", "[".repeat(50_000));
    refused.push((await expectError(await call("/api/unipile/message", { method: "POST", body: form }), 400, "JSON_TOO_DEEP")).requestId);
    expect(await eventsOf(refused)).toBe(0);
  });

  test("a body nesting exactly JSON_MAX_DEPTH levels is read", async () => {
    // The webhook body is one level; its extra field adds the rest.
    const response = await postJson("/api/unipile/webhook", await webhookBody({ extra: nestedIn(1, MAX_DEPTH - 1) }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: true, kind: "messaging", duplicate: false });
    expect(await eventsOf([response.headers.get("x-request-id")])).toBe(1);
  });
});

describe("times and cursors", () => {
  test("times outside years 0001–9999 are 400 on every parameter that takes one; the range's ends are accepted", async () => {
    const paths = (time: string) => [
      `/api/audit/events?from=${time}`,
      `/api/audit/events?to=${time}`,
      `/api/audit/export?from=${time}`,
      `/api/audit/accounts/${account.accountId}/state?at=${time}`,
      `/api/audit/conversations/${conversationId}/state?at=${time}`,
    ];
    for (const time of ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "%2B010000-01-01T00:00:00Z"]) {
      for (const path of paths(time)) {
        const body = await expectError(await call(path), 400, "VALIDATION_FAILED");
        expect({ path, details: body.details }).toMatchObject({ path, details: [{ message: expect.stringMatching(/0001|ISO-8601/) }] });
      }
    }
    for (const path of [...paths("0001-01-01T00:00:00Z").slice(0, 3), `/api/audit/events?to=9999-12-31T23:59:59.999Z`]) {
      const response = await call(path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      await response.body?.cancel();
    }
  });

  test("a tampered conversation cursor (year 0000, year 10000, not a row id, not JSON) is 400 on both lists", async () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const id = crypto.randomUUID();
    for (const bad of [cursor(["0000-01-01T00:00:00.000Z", id]), cursor(["+010000-01-01T00:00:00.000Z", id]), cursor(["2025-01-01T00:00:00.000Z", "x"]), cursor({}), "%00", "not-base64!"]) {
      for (const path of [`/api/conversations?cursor=${bad}`, `/api/conversations/${conversationId}/messages?cursor=${bad}`]) {
        await expectError(await call(path), 400, "VALIDATION_FAILED");
      }
    }
    const fine = await call(`/api/conversations?cursor=${cursor(["0001-01-01T00:00:00.000Z", id])}`);
    expect(await fine.json()).toEqual({ items: [], nextCursor: null });
  });

  test("an event-stream id past what Postgres holds is 400, not a failed stream", async () => {
    await expectError(await call("/api/events/stream", { headers: { "last-event-id": "99999999999999999999-1" } }), 400, "VALIDATION_FAILED");
    await expectError(await call("/api/events/stream?lastEventId=1-99999999999999999999"), 400, "VALIDATION_FAILED");
  });
});

describe("text Postgres cannot store", () => {
  test("NUL in a path or query parameter, and NUL or a lone surrogate in a sent text, are 400 naming the field", async () => {
    for (const path of ["/api/audit/streams/account%3Aa%00b", `/api/audit/events?streamId=a%00b`, `/api/audit/accounts/a%00b/state`, `/api/messages/${crypto.randomUUID()}/attachments/a%00b`]) {
      const body = await expectError(await call(path), 400, "VALIDATION_FAILED");
      expect({ path, details: body.details }).toMatchObject({ path, details: [{ message: expect.stringContaining("NUL") }] });
    }
    for (const content of ['"a\\u0000b"', '"\\ud800"']) {
      const body = await expectError(await postJson("/api/unipile/message", `{"accountId":"${account.accountId}","chatId":"${conversationId}","content":${content}}`), 400, "VALIDATION_FAILED");
      expect(body.details).toEqual([{ path: "content", message: expect.stringContaining("NUL") }]);
    }
  });
});

describe("the request head", () => {
  test("headers or a URL past HTTP_MAX_HEADER_BYTES are 431 HEADERS_TOO_LARGE in the error shape", async () => {
    await expectError(await call("/api/me", { headers: { "x-big": "b".repeat(MAX_HEADER_BYTES) } }), 431, "HEADERS_TOO_LARGE");
    await expectError(await call(`/api/conversations?accountId=${"a".repeat(MAX_HEADER_BYTES)}`), 431, "HEADERS_TOO_LARGE");
    await expectError(await call("/health", { headers: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-h-${i}`, "v".repeat(80)])) }), 431, "HEADERS_TOO_LARGE");
    const under = await call("/api/me", { headers: { "x-big": "b".repeat(MAX_HEADER_BYTES / 2) } });
    expect(under.status).toBe(200);
  });

  test("past Bun's own limit (raised to 4 × HTTP_MAX_HEADER_BYTES, one per process) the parser answers 431 with an empty body", async () => {
    const inForce = raiseNativeHeaderLimit(MAX_HEADER_BYTES);
    expect(inForce).toBeGreaterThanOrEqual(4 * MAX_HEADER_BYTES);
    const response = await call("/api/me", { headers: { "x-big": "b".repeat(inForce + 1024) } });
    expect(response.status).toBe(431);
    expect(await response.text()).toBe("");
  });
});
