/**
 * End to end: a development service (sandbox mode) stopped and started
 * again on the same folders keeps the sandbox's state (SANDBOX_STATE_FILE):
 * the linked account stays connected through the drift checks after the
 * restart, with its chat, which goes on receiving messages; the generated
 * webhook secret is the same (kept in UNIPILE_WEBHOOK_SECRET_FILE).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Child, createResources, developmentEnv, exitWithin, getStatus, readPostmasterPid, STOP_DEADLINE_MS, spawnService, waitFor } from "./support";

const SANDBOX_TOKEN = "sandbox-access-token";
const JWT_PATTERN = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

const resources = createResources();
let env: Record<string, string>;
let dir: string;
let base: string;
let sandbox: string;
let child: Child;

beforeAll(async () => {
  const [port, sandboxPort, postgresPort] = (await resources.ports(3)) as [number, number, number];
  dir = resources.newTempDir();
  base = `http://127.0.0.1:${port}`;
  sandbox = `http://127.0.0.1:${sandboxPort}`;
  // The drift check every 300 ms: a restart that lost the sandbox's state would mark the account deleted at once.
  env = { ...developmentEnv({ port, sandboxPort, postgresPort }, join(dir, "pg"), dir), ACCOUNT_CHECK_INTERVAL_MS: "300" };
});
afterAll(() => resources.cleanUp(), 60_000);

async function start(deadlineMs: number): Promise<string> {
  child = resources.track(spawnService(env));
  await waitFor("GET /ready → 200", child, Date.now() + deadlineMs, async () => ((await getStatus(`${base}/ready`)) === 200 ? true : undefined));
  const postmaster = readPostmasterPid(join(dir, "pg"));
  if (postmaster) resources.postmasterPids.add(postmaster);
  const match = await waitFor("the development token", child, Date.now() + 15_000, async () => child.stderr().match(JWT_PATTERN) ?? undefined);
  return match[0];
}

const api = async <T>(token: string, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};
const control = async <T>(path: string, body: unknown = {}) => {
  const response = await fetch(`${sandbox}/sandbox${path}`, { method: "POST", headers: { "x-api-key": SANDBOX_TOKEN, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`POST /sandbox${path} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};
type Conversation = { id: string; unipileChatId: string; messageCount: number };
const conversationWith = (token: string, chatId: string, messages: number) =>
  waitFor(`the conversation with ${messages} messages`, child, Date.now() + 15_000, async () => {
    const page = await api<{ items: Conversation[] }>(token, "/api/conversations");
    return page.items.find((c) => c.unipileChatId === chatId && c.messageCount === messages);
  });

describe("./scripts/start restarted in sandbox mode", () => {
  test("keeps the linked account connected, with its chat", async () => {
    // Given: an account linked and a contact's message received
    let token = await start(90_000);
    const connection = await api<{ accountId: string; accountIdentifier: string }>(token, "/api/unipile/connect-whatsapp", { method: "POST" });
    await control(`/accounts/${connection.accountIdentifier}/scan`, { phone_number: "33611112222", name: "Acme" });
    await waitFor("connected", child, Date.now() + 15_000, async () =>
      (await api<{ status: string }>(token, `/api/unipile/check-status?accountId=${connection.accountId}&wait=2`)).status === "connected" ? true : undefined,
    );
    const first = await control<{ chat_id: string }>(`/accounts/${connection.accountIdentifier}/incoming`, { from: "33633334444", name: "Marie", text: "Avant" });
    const before = await conversationWith(token, first.chat_id, 1);
    const secret = readFileSync(join(dir, "dev-webhook-secret"), "utf8");

    // When: the service stops and starts again
    child.proc.kill("SIGTERM");
    expect(await exitWithin(child, STOP_DEADLINE_MS)).toBe(0);
    expect(existsSync(join(dir, "sandbox.json"))).toBe(true);
    token = await start(30_000);

    // Then: the contact writes again in the same chat, and it arrives in the same conversation
    const second = await control<{ chat_id: string }>(`/accounts/${connection.accountIdentifier}/incoming`, { from: "33633334444", name: "Marie", text: "Après" });
    expect(second.chat_id).toBe(first.chat_id);
    const after = await conversationWith(token, first.chat_id, 2);
    expect(after.id).toBe(before.id);
    // …and the account is still connected after many drift checks (one every 300 ms since the start)
    const account = await api<{ account: { status: string; statusReason: string } }>(token, `/api/unipile/account?accountId=${connection.accountId}`);
    expect(account.account.status).toBe("connected");
    expect(readFileSync(join(dir, "dev-webhook-secret"), "utf8")).toBe(secret);
    const restored = child.stdout().split("\n").filter((l) => l.includes("using the Unipile sandbox")).map((l) => JSON.parse(l) as { restoredAccounts: number });
    expect(restored.map((r) => r.restoredAccounts)).toEqual([1]);
  }, 180_000);
});
