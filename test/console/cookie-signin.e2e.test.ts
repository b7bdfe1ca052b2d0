/**
 * The console signed in by the app's own session cookie: a real NextAuth 4
 * cookie (made by `next-auth/jwt`'s `encode`) set in a real Chromium for the
 * service's origin, the service configured with NEXTAUTH_SECRET and a JWT
 * secret (so no development sign-in): the console lists that user's
 * accounts, and only theirs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { launchBrowser, type TestBrowser } from "../support/browser";
import { NEXTAUTH_TEST_SECRET, sessionToken } from "../support/session-cookies";
import { type ConsoleService, startConsoleService } from "./support";

let browser: TestBrowser;
let service: ConsoleService;

beforeAll(async () => {
  [browser, service] = await Promise.all([
    launchBrowser(),
    startConsoleService({ AUTH_JWT_SECRET: "console-cookie-test-jwt-secret-0123456789", NEXTAUTH_SECRET: NEXTAUTH_TEST_SECRET }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

/** A pending WhatsApp account of `user`, made through the API with a bearer token. */
async function accountOf(user: string): Promise<string> {
  const token = await service.token(user);
  const response = await fetch(`${service.url}/api/unipile/connect-whatsapp`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accountId: string }).accountId;
}

test("signs in with the app's NextAuth session cookie and lists that user's accounts only", async () => {
  const session = (await (await fetch(`${service.url}/console/session`)).json()) as { mode: string; token: string | null };
  expect(session).toMatchObject({ mode: "token", token: null });
  const [mine, theirs] = [await accountOf("cookie-user"), await accountOf("someone-else")];

  const recording = await browser.context({ viewport: { width: 1280, height: 800 } });
  const cookie = await sessionToken("next-auth-4", "cookie-user");
  await recording.context.addCookies([{ name: cookie.name, value: cookie.value, url: service.url, httpOnly: true, sameSite: "Lax" }]);
  const page = await recording.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(`${service.url}/`);

  await page.getByRole("heading", { name: "WhatsApp accounts" }).waitFor({ timeout: 20_000 });
  await page.locator(`[data-account-id="${mine}"]`).waitFor({ timeout: 20_000 });
  expect(await page.locator(".who").textContent()).toBe("cookie-user");
  expect(await page.locator("[data-account-id]").count()).toBe(1);
  expect(await page.locator(`[data-account-id="${theirs}"]`).count()).toBe(0);
  await page.locator('[role="status"].live-live').waitFor({ timeout: 20_000 });

  expect(recording.offMachine()).toEqual([]);
  expect(problems).toEqual([]);
  await recording.context.close();
}, 60_000);

test("without the cookie the console asks for a token", async () => {
  const recording = await browser.context({ viewport: { width: 1024, height: 700 } });
  const page = await recording.newPage();
  await page.goto(`${service.url}/`);
  await page.getByRole("heading", { name: "Sign in to the CommSync WhatsApp console" }).waitFor({ timeout: 20_000 });
  await recording.context.close();
});
