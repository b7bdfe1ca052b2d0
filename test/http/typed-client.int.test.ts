/**
 * The typed client: `hc<AppType>` from hono/client, typed from the route
 * declarations. tsc checks this file (the suite's typecheck): the calls
 * below compile with their inputs and answers typed, and the
 * `@ts-expect-error` lines prove that a wrong input does not. Run, the same
 * calls go through the real app.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import type { AppType } from "../../src/app";
import { createHarness, type Harness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** A client of the app under test, as CommSync's web app would build one. */
async function client(userId: string) {
  const token = await h.token(userId);
  return hc<AppType>("http://commsync.test", {
    headers: { authorization: `Bearer ${token}` },
    fetch: (input: string | URL | Request, init?: RequestInit) => h.app.request(input instanceof Request ? input : String(input), init),
  });
}

// Type-level: inputs and answers as declared.
type ConnectAnswer = InferResponseType<ReturnType<typeof hc<AppType>>["api"]["unipile"]["connect-whatsapp"]["$post"], 200>;
const _qr: ConnectAnswer["qrCode"] = "2@...";
type SendInput = InferRequestType<ReturnType<typeof hc<AppType>>["api"]["unipile"]["message"]["$post"]>;
const _send: SendInput["json"] = { accountId: "00000000-0000-4000-8000-000000000000", content: "hi", recipients: ["33612345678"] };
// @ts-expect-error accountId is required
const _noAccount: SendInput["json"] = { content: "hi" };
void [_qr, _send, _noAccount];

test("connect, check-status, send, conversations and messages through hc<AppType>", async () => {
  const api = (await client("typed-client-user")).api;

  const connected = await api.unipile["connect-whatsapp"].$post({ json: {} });
  expect(connected.status).toBe(200);
  const connection = await connected.json();
  if (!("qrCode" in connection)) throw new Error("not a connection");
  expect(connection.status).toBe("pending");

  const status = await api.unipile["check-status"].$get({ query: { accountId: connection.accountId } });
  const account = await status.json();
  if (!("accountId" in account)) throw new Error("not an account");
  expect(account.accountId).toBe(connection.accountId);
  // @ts-expect-error check-status takes accountId, not id
  void (() => api.unipile["check-status"].$get({ query: { id: connection.accountId } }));

  const sent = await api.unipile.message.$post({ json: { accountId: connection.accountId, content: "hello", recipients: ["33612345678"] }, header: { "idempotency-key": "typed-1" } });
  // The account is not connected yet (its QR code was not scanned): the one error shape, typed.
  expect(sent.status).toBe(409);
  const refused = await sent.json();
  expect("code" in refused && refused.code).toBe("ACCOUNT_NOT_CONNECTED");

  const conversations = await api.conversations.$get({ query: { limit: "10" } });
  const page = await conversations.json();
  if (!("items" in page)) throw new Error("not a page");
  expect(page.items).toEqual([]);

  const messages = await api.conversations[":id"].messages.$get({ param: { id: "00000000-0000-4000-8000-000000000000" }, query: {} });
  expect(messages.status).toBe(404);
  const missing = await messages.json();
  expect("code" in missing && missing.code).toBe("CONVERSATION_NOT_FOUND");
});
