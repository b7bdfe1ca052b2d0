/**
 * /docs in a real headless Chromium: Scalar's page renders from the
 * service alone (no request leaves the machine, nothing is refused by the
 * page's CSP), and a call made from its "try it" client reaches the service
 * with the token typed into the page.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { launchBrowser, type TestBrowser } from "../support/browser";
import { createHarness, type Harness } from "../support/harness";

let h: Harness;
let browser: TestBrowser;
beforeAll(async () => {
  h = await createHarness({}, { startRunner: false });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

test("/docs renders offline under its CSP, and its try-it client calls the service", async () => {
  const recording = await browser.context();
  const page = await recording.newPage();
  const refused: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
  });
  page.on("pageerror", (error) => refused.push(error.message));

  const response = await page.goto(`${h.url}/docs`);
  expect(response?.headers()["content-security-policy"]).toContain("script-src 'self' 'nonce-");
  // Rendered from /openapi.json: an operation's summary shows in the sidebar.
  await page.getByText("Start linking a WhatsApp account").first().waitFor({ timeout: 30_000 });

  await page.getByPlaceholder("Token").first().fill(await h.token("docs-reader"));
  await page.getByText("The authenticated caller, as the service sees the token").first().click();
  await page.getByRole("button", { name: /Test Request/ }).first().click();
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/me", { timeout: 30_000 });
  await page.getByRole("button", { name: /^Send/ }).first().click();
  const me = await answered;
  expect(me.status()).toBe(200);
  expect(await me.json()).toEqual({ userId: "docs-reader", roles: [] });
  await page.getByText('"docs-reader"').first().waitFor({ timeout: 10_000 });

  expect(recording.requests.map((url) => new URL(url).pathname)).toEqual(expect.arrayContaining(["/docs", "/docs/scalar.js", "/openapi.json", "/api/me"]));
  expect(recording.offMachine()).toEqual([]);
  expect(refused).toEqual([]);
}, 60_000);
