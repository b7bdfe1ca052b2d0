/**
 * The console in a real headless Chromium against the real service over
 * loopback HTTP (development sign-in, sandbox mode): the whole flow at
 * desktop width and at 360 px, an expired QR code, and that no request the
 * console makes leaves the machine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { launchBrowser, type RecordingContext, type TestBrowser } from "../support/browser";
import { chatFlow, decodeShownQr, disconnect, linkAccount, onFailure, openEmptyInbox, shot } from "./flow";
import { type ConsoleService, startConsoleService } from "./support";

let browser: TestBrowser;
let service: ConsoleService;

beforeAll(async () => {
  [browser, service] = await Promise.all([launchBrowser(), startConsoleService()]);
});
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

/** A page that fails the test on script errors and CSP violations. */
async function openConsole(recording: RecordingContext, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await recording.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  await page.goto(url);
  await page.getByRole("heading", { name: "WhatsApp accounts" }).waitFor({ timeout: 20_000 });
  return { page, problems };
}

describe("the console", () => {
  test("serves the page at / and /console under a strict CSP", async () => {
    for (const path of ["/", "/console"]) {
      const response = await fetch(`${service.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(await response.text()).toContain('<div id="root">');
    }
  });

  test("desktop: signs in by itself, links an account, chats live, disconnects; nothing leaves the machine", async () => {
    const recording = await browser.context({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await openConsole(recording, `${service.url}/`);
    await page.getByText("No WhatsApp account yet.").waitFor();
    await shot(page, "desktop-accounts-empty");

    await onFailure(page, "desktop-failure", problems, async () => {
      let inbox: Page | undefined;
      const linked = await linkAccount(page, "desktop", { beforeScan: async (id) => void (inbox = await openEmptyInbox(() => recording.newPage(), `${service.url}/`, id, problems)) });
      await chatFlow(page, service, linked, "desktop", inbox as Page);
      await disconnect(page, linked.accountId);
    });
    await shot(page, "desktop-disconnected");

    expect(recording.requests.length).toBeGreaterThan(5);
    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 120_000);

  test("360 px wide, dark: the same flow", async () => {
    const recording = await browser.context({ viewport: { width: 360, height: 740 }, colorScheme: "dark" });
    const { page, problems } = await openConsole(recording, `${service.url}/console`);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);

    await onFailure(page, "mobile-failure", problems, async () => {
      let inbox: Page | undefined;
      const linked = await linkAccount(page, "mobile", { beforeScan: async (id) => void (inbox = await openEmptyInbox(() => recording.newPage(), `${service.url}/console`, id, problems)) });
      await chatFlow(page, service, linked, "mobile", inbox as Page);
      await disconnect(page, linked.accountId);
    });

    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 120_000);

  test("Escape closes the dialog, and focus starts inside it", async () => {
    const recording = await browser.context({ viewport: { width: 1024, height: 700 } });
    const { page } = await openConsole(recording, `${service.url}/`);
    await page.getByRole("button", { name: "Link a WhatsApp account" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await page.waitForFunction('document.activeElement?.textContent === "Generate QR Code"');
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await recording.context.close();
  });
});

describe("an expired QR code", () => {
  let short: ConsoleService;
  beforeAll(async () => {
    short = await startConsoleService({ QR_EXPIRY_MS: "15000" });
  });
  afterAll(async () => {
    await short?.close();
  });

  test("offers a fresh one, does not fetch one by itself, and the fresh one links", async () => {
    const recording = await browser.context({ viewport: { width: 1024, height: 700 } });
    const { page, problems } = await openConsole(recording, `${short.url}/`);
    const fresh = () => recording.requests.filter((url) => url.includes("/api/unipile/account/reconnect")).length;
    const connects = () => recording.requests.filter((url) => url.includes("/api/unipile/connect-whatsapp")).length;

    await page.getByRole("button", { name: "Link a WhatsApp account" }).click();
    const dialog = page.getByRole("dialog");
    const first = page.waitForResponse((r) => r.url().includes("/connect-whatsapp"));
    await dialog.getByRole("button", { name: "Generate QR Code" }).click();
    const firstQr = ((await (await first).json()) as { qrCode: string }).qrCode;

    await dialog.getByText("This QR code expired.").waitFor({ timeout: 20_000 });
    expect(await dialog.locator("img.qr").count()).toBe(0);
    await shot(page, "dialog-expired");
    // The status watch keeps going (its long poll comes back within 25 s); the page asks for no new code by itself.
    await page.waitForResponse((r) => r.url().includes("/check-status"), { timeout: 40_000 });
    expect(fresh()).toBe(0);
    expect(connects()).toBe(1);

    const second = page.waitForResponse((r) => r.url().includes("/account/reconnect"));
    await dialog.getByRole("button", { name: "Generate a fresh QR code" }).click();
    const secondQr = ((await (await second).json()) as { qrCode: string }).qrCode;
    expect(secondQr).not.toBe(firstQr);
    await dialog.locator("img.qr").waitFor();
    expect(await decodeShownQr(page)).toBe(secondQr);
    expect(fresh()).toBe(1);

    await dialog.getByRole("button", { name: "Simulate the phone scan" }).click();
    await dialog.getByText("Connected.").waitFor({ timeout: 20_000 });
    expect(fresh()).toBe(1);
    expect(connects()).toBe(1);
    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 120_000);
});

describe("an auditor", () => {
  test("signs in with a pasted token (kept out of the URL) and reads an account's timeline and its state at a point", async () => {
    const recording = await browser.context({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await openConsole(recording, `${service.url}/`);
    const session = await page.evaluate("fetch('/console/session').then((r) => r.json())") as { token: string };
    const connection = (await (await fetch(`${service.url}/api/unipile/connect-whatsapp`, { method: "POST", headers: { authorization: `Bearer ${session.token}` } })).json()) as { accountId: string };
    const auditorToken = await service.token("auditor-1", ["auditor"]);

    await page.getByRole("button", { name: "Use a token" }).click();
    await page.getByLabel("API token").fill(auditorToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("auditor-1").waitFor();
    await page.getByRole("button", { name: "Audit", exact: true }).click();
    await page.getByLabel("Account id (ours or Unipile's)").fill(connection.accountId);
    await page.getByRole("button", { name: "Show timeline" }).click();
    const first = page.locator("tr[data-position]").first();
    await first.waitFor();
    expect(await first.textContent()).toContain("AccountConnectionRequested");
    await first.getByRole("button", { name: "State at this point" }).click();
    const state = first.getByLabel("State at this point");
    await state.waitFor();
    expect(await state.textContent()).toContain('"status": "pending"');
    await first.getByRole("button", { name: "Payload" }).click();
    await first.getByLabel("Payload").waitFor();
    await shot(page, "desktop-audit");

    expect(recording.requests.some((url) => url.includes(auditorToken))).toBe(false);
    expect(page.url()).not.toContain(auditorToken);
    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 60_000);
});
