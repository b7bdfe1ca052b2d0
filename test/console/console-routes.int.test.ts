/**
 * The console's own routes: the development sign-in is handed to same-origin
 * pages only, and only in development mode; the sandbox controls exist in
 * sandbox mode only, need a token, and act on the caller's own accounts and
 * conversations only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { type ConsoleService, startConsoleService } from "./support";

let service: ConsoleService;
let remote: Harness;
beforeAll(async () => {
  [service, remote] = await Promise.all([startConsoleService(), createHarness()]);
});
afterAll(async () => {
  await service?.close();
  await remote?.close();
});

const post = (url: string, token: string | null, body: unknown = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

describe("GET /console/session", () => {
  test("development mode: the same-origin page gets the development user's token; a cross-site request does not", async () => {
    const same = (await (await fetch(`${service.url}/console/session`, { headers: { "sec-fetch-site": "same-origin" } })).json()) as { mode: string; token: string | null; sandbox: boolean };
    expect(same).toMatchObject({ mode: "development", sandbox: true });
    const me = await fetch(`${service.url}/api/me`, { headers: { authorization: `Bearer ${same.token}` } });
    expect(await me.json()).toEqual({ userId: "dev-user", roles: [] });
    const cross = await (await fetch(`${service.url}/console/session`, { headers: { "sec-fetch-site": "cross-site" } })).json();
    expect(cross).toEqual({ mode: "token", token: null, sandbox: true });
  });

  test("with a configured secret there is no token to hand out, and no sandbox controls", async () => {
    expect(await (await remote.request("/console/session")).json()).toEqual({ mode: "token", token: null, sandbox: false });
    const scan = await remote.request(`/api/console/sandbox/scan?accountId=${crypto.randomUUID()}`, { method: "POST", as: "u1", json: {} });
    expect(scan.status).toBe(404);
    expect(((await scan.json()) as { code: string }).code).toBe("ROUTE_NOT_FOUND");
  });
});

describe("the sandbox controls", () => {
  test("need a token, valid ids, and the caller's own account or conversation", async () => {
    const owner = await service.token("owner");
    const stranger = await service.token("stranger");
    const connection = (await (await post(`${service.url}/api/unipile/connect-whatsapp`, owner)).json()) as { accountId: string };

    expect((await post(`${service.url}/api/console/sandbox/scan?accountId=${connection.accountId}`, null)).status).toBe(401);
    expect((await post(`${service.url}/api/console/sandbox/scan?accountId=nope`, owner)).status).toBe(400);
    expect((await post(`${service.url}/api/console/sandbox/scan?accountId=${connection.accountId}`, owner, { phoneNumber: "not a phone" })).status).toBe(400);
    const foreign = await post(`${service.url}/api/console/sandbox/scan?accountId=${connection.accountId}`, stranger);
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { code: string }).code).toBe("ACCOUNT_NOT_FOUND");
    expect((await post(`${service.url}/api/console/sandbox/incoming?conversationId=${crypto.randomUUID()}`, owner)).status).toBe(404);

    const scanned = await post(`${service.url}/api/console/sandbox/scan?accountId=${connection.accountId}`, owner, { phoneNumber: "+15550003333", name: "Owner's phone" });
    expect(await scanned.json()).toEqual({ scanned: true });
    // The status comes first, the phone's details just after.
    const account = await waitFor(async () => {
      const answer = await fetch(`${service.url}/api/unipile/account?accountId=${connection.accountId}`, { headers: { authorization: `Bearer ${owner}` } });
      const { account } = (await answer.json()) as { account: { status: string; phoneNumber: string | null } };
      return account.status === "connected" && account.phoneNumber ? account : undefined;
    }, 10_000);
    expect(account).toMatchObject({ status: "connected", phoneNumber: "15550003333", name: "Owner's phone" });
  });
});
