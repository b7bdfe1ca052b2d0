/**
 * ensureWebhooks against the sandbox: creates what is missing, keeps what
 * matches, replaces stale ones at our URL, removes duplicates, and leaves
 * other URLs alone.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningSandbox } from "../../src/sandbox";
import { createUnipileGateway, type UnipileGateway } from "../../src/unipile/gateway";
import { ensureWebhooks } from "../../src/unipile/webhook-registration";
import { control, startTestSandbox, TOKEN } from "../sandbox/support";

const URL_ = "http://127.0.0.1:3000/api/unipile/webhook";
const SECRET = "a-long-webhook-secret";
let sandbox: RunningSandbox;
let gateway: UnipileGateway;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  gateway = createUnipileGateway({ dsn: sandbox.url, accessToken: TOKEN, timeoutMs: 2000 });
});
afterAll(() => sandbox.stop());

const listed = async () => {
  const r = await gateway.listWebhooks();
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

test("first run creates both webhooks with the secret and JSON headers; second run changes nothing", async () => {
  await control(sandbox.url, "POST", "/api/v1/webhooks", { source: "messaging", request_url: "http://elsewhere.test/hook" });
  const first = await ensureWebhooks(gateway, { url: URL_, secret: SECRET });
  expect(first.ok && first.value.created).toHaveLength(2);
  const ours = (await listed()).filter((w) => w.request_url === URL_);
  expect(ours.map((w) => w.source).toSorted()).toEqual(["account_status", "messaging"]);
  for (const webhook of ours) {
    expect(webhook.headers).toEqual([
      { key: "Unipile-Auth", value: SECRET },
      { key: "Content-Type", value: "application/json" },
    ]);
  }
  expect(ours.find((w) => w.source === "messaging")?.events).toEqual([
    "message_received", "message_reaction", "message_read", "message_edited", "message_deleted", "message_delivered",
  ]);
  const second = await ensureWebhooks(gateway, { url: URL_, secret: SECRET });
  if (!second.ok) throw new Error("second run failed");
  expect(second.value.kept.toSorted()).toEqual(ours.map((w) => w.id).toSorted());
  expect([second.value.created, second.value.deleted]).toEqual([[], []]);
  expect(await listed()).toHaveLength(3);
});

test("duplicates at our URL are removed and a webhook with an old secret is replaced; other URLs stay", async () => {
  await control(sandbox.url, "POST", "/api/v1/webhooks", {
    source: "messaging", request_url: URL_, events: ["message_received"], headers: [{ key: "Unipile-Auth", value: SECRET }],
  });
  await control(sandbox.url, "POST", "/api/v1/webhooks", { source: "account_status", request_url: URL_, headers: [{ key: "Unipile-Auth", value: SECRET }, { key: "Content-Type", value: "application/json" }] });
  const result = await ensureWebhooks(gateway, { url: URL_, secret: SECRET });
  expect(result.ok && result.value.deleted).toHaveLength(2);
  const rotated = await ensureWebhooks(gateway, { url: URL_, secret: "a-new-webhook-secret!" });
  expect(rotated.ok && [rotated.value.created.length, rotated.value.deleted.length]).toEqual([2, 2]);
  const all = await listed();
  expect(all.filter((w) => w.request_url === URL_)).toHaveLength(2);
  expect(all.filter((w) => w.request_url === "http://elsewhere.test/hook")).toHaveLength(1);
});

test("a Unipile failure is returned, not thrown", async () => {
  await control(sandbox.url, "POST", "/sandbox/faults", { http: [{ method: "GET", path: "/api/v1/webhooks", status: 401, type: "errors/missing_credentials" }] });
  expect(await ensureWebhooks(gateway, { url: URL_, secret: SECRET })).toMatchObject({ ok: false, error: { kind: "http", status: 401 } });
  await control(sandbox.url, "DELETE", "/sandbox/faults");
});
