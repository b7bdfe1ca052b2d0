/**
 * The console's whole flow, driven in a real browser: link an account
 * (Generate QR → the QR image decodes to the API's qrCode → simulated scan →
 * the card shows connected without a reload), the imported chats appearing
 * in an inbox opened before the scan and the import's bar reaching its total,
 * a simulated contact message arriving live, an answer with an attachment
 * going pending → sent → delivered → read, and the disconnect.
 * Screenshots go to test-results/screenshots (ignored by git).
 */
import { expect } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import jsQR from "jsqr";
import type { Page, Response as PwResponse } from "playwright-core";
import type { ConsoleService } from "./support";

export const SCREENSHOTS = join(import.meta.dir, "../../test-results/screenshots");
const WAIT = { timeout: 20_000 };

/** 1×1 PNG (a green pixel). */
export const PIXEL_PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

export async function shot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The pixels of the dialog's QR image, decoded as a QR code. */
/** Runs `steps`; when they fail, a screenshot of the page as it was goes beside the others. */
export async function onFailure(page: Page, name: string, problems: string[], steps: () => Promise<void>) {
  try {
    await steps();
  } catch (error) {
    await shot(page, name).catch(() => undefined);
    throw new Error(`${String(error)}\npage errors: ${JSON.stringify(problems)}`);
  }
}

export async function decodeShownQr(page: Page): Promise<string | null> {
  const size = 240;
  // Runs in the page (a string: this file is type-checked without the DOM library); the RGBA bytes come back as base64.
  const pixels = (await page.evaluate(`(async () => {
    const img = document.querySelector("img.qr");
    if (!img) return null;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = ${size};
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, ${size}, ${size});
    context.drawImage(img, 0, 0, ${size}, ${size});
    const data = context.getImageData(0, 0, ${size}, ${size}).data;
    let binary = "";
    for (let i = 0; i < data.length; i += 8192) binary += String.fromCharCode(...data.subarray(i, i + 8192));
    return btoa(binary);
  })()`)) as string | null;
  if (!pixels) return null;
  return jsQR(new Uint8ClampedArray(Buffer.from(pixels, "base64")), size, size)?.data ?? null;
}

const jsonOf = async <T>(response: PwResponse) => (await response.json()) as T;

/** Generate QR → decoded QR matches the API's → simulated scan → success → card connected (no reload). */
export interface Linked {
  accountId: string;
  /** Unipile's (the sandbox's) id of the account. */
  accountIdentifier: string;
}

export async function linkAccount(page: Page, prefix: string, options: { beforeScan?(accountId: string): Promise<void> } = {}): Promise<Linked> {
  await page.getByRole("button", { name: "Link a WhatsApp account" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("heading", { name: "Link a WhatsApp account" }).waitFor();
  const connected = page.waitForResponse((r) => r.url().includes("/api/unipile/connect-whatsapp"));
  await dialog.getByRole("button", { name: "Generate QR Code" }).click();
  const connection = await jsonOf<Linked & { qrCode: string }>(await connected);
  await dialog.locator("img.qr").waitFor(WAIT);
  expect(await decodeShownQr(page)).toBe(connection.qrCode);
  await expect(dialog.getByText(/Expires in \d+:\d\d/).isVisible()).resolves.toBe(true);
  await shot(page, `${prefix}-dialog-qr`);
  await options.beforeScan?.(connection.accountId);

  await dialog.getByRole("button", { name: "Simulate the phone scan" }).click();
  await dialog.getByText("Connected.").waitFor(WAIT);
  await shot(page, `${prefix}-dialog-connected`);
  await dialog.getByRole("button", { name: "Done" }).click();
  await dialog.waitFor({ state: "hidden" });
  await page.locator(`[data-account-id="${connection.accountId}"][data-status="connected"]`).waitFor(WAIT);
  return { accountId: connection.accountId, accountIdentifier: connection.accountIdentifier };
}

/**
 * A second tab on the inbox of `accountId` (not yet scanned: no chats), its
 * list read and its event stream live, so that the chats the history import
 * brings can only appear there through the stream's `conversations` event.
 */
export async function openEmptyInbox(newPage: () => Promise<Page>, url: string, accountId: string, problems: string[]): Promise<Page> {
  const inbox = await newPage();
  inbox.on("pageerror", (error) => problems.push(String(error)));
  await inbox.goto(url);
  await inbox.getByRole("button", { name: "Inbox", exact: true }).click(WAIT);
  await inbox.locator(".account-pick select").selectOption(accountId, WAIT);
  await inbox.getByText("No conversations yet.").waitFor(WAIT);
  await inbox.locator('[role="status"].live-live').waitFor(WAIT);
  return inbox;
}

/** The import's bar reaches its total: 3 chats of 3 (the sandbox's scan seeds 3 chats of 4 messages). */
async function importReachesTotal(page: Page, accountId: string) {
  const card = page.locator(`[data-account-id="${accountId}"]`);
  await card.getByText(/History imported: 3 of 3 chats, 12 messages/).waitFor(WAIT);
  const bar = card.getByRole("progressbar", { name: "History imported" });
  expect(await bar.getAttribute("max")).toBe("3");
  expect(await bar.getAttribute("value")).toBe("3");
}

/**
 * The imported chats appear in the inbox opened before the scan (no reload) and the
 * card's import bar reaches its total; a contact writes live, an answer with an
 * attachment walks its ticks.
 */
export async function chatFlow(page: Page, service: ConsoleService, { accountId, accountIdentifier }: Linked, prefix: string, openInbox: Page) {
  const imported = openInbox.getByRole("list", { name: "Conversations" }).locator("[data-conversation-id]");
  await imported.nth(2).waitFor(WAIT);
  expect(await imported.count()).toBe(3);
  await shot(openInbox, `${prefix}-inbox-imported`);
  await openInbox.close();

  await importReachesTotal(page, accountId);
  await shot(page, `${prefix}-cards`);

  await page.getByRole("button", { name: "Inbox", exact: true }).click();
  const list = page.getByRole("list", { name: "Conversations" });
  await list.locator("[data-conversation-id]").nth(2).waitFor(WAIT);
  expect(await list.locator("[data-conversation-id]").count()).toBe(3);
  await list.locator("[data-conversation-id]").first().click();

  const thread = page.getByRole("region", { name: /Conversation with/ });
  await thread.locator(".bubble").first().waitFor(WAIT);
  const before = await thread.locator(".bubble.theirs").count();
  await thread.getByRole("button", { name: "Simulate a contact writing" }).click();
  await thread.locator(".bubble.theirs").nth(before).waitFor(WAIT);
  expect(await thread.locator(".bubble.theirs").last().textContent()).toContain("Hi! It is");
  // The contact's message is unread until "Mark read".
  const markRead = thread.getByRole("button", { name: "Mark read" });
  await thread.locator('.thread-head button:not([disabled])', { hasText: "Mark read" }).waitFor(WAIT);
  await markRead.click();
  await thread.locator('.thread-head button[disabled]', { hasText: "Mark read" }).waitFor(WAIT);

  await thread.getByRole("textbox", { name: "Message" }).fill("Here is the picture");
  await thread.locator('input[type="file"]').setInputFiles({ name: "pixel.png", mimeType: "image/png", buffer: PIXEL_PNG });
  const sent = page.waitForResponse((r) => r.url().endsWith("/api/unipile/message") && r.request().method() === "POST");
  await thread.getByRole("button", { name: "Send" }).click();
  const mine = thread.locator(".bubble.mine", { hasText: "Here is the picture" });
  // The bubble is there before the service answered (pending), and stays the same element.
  await mine.waitFor(WAIT);
  const handle = await mine.elementHandle();
  const answer = await sent;
  expect(answer.request().headers()["idempotency-key"]).toMatch(/^console-/);
  const message = (await jsonOf<{ message: { id: string; unipileMessageId: string } }>(answer)).message;
  await thread.locator(`.bubble.mine[data-status="sent"]`, { hasText: "Here is the picture" }).waitFor(WAIT);
  await mine.locator("img.attachment-image").waitFor(WAIT);

  for (const step of ["delivered", "read"] as const) {
    await service.control("POST", `/sandbox/accounts/${accountIdentifier}/messages/${message.unipileMessageId}/${step}`, step === "read" ? {} : undefined);
    await thread.locator(`.bubble.mine[data-status="${step}"]`, { hasText: "Here is the picture" }).waitFor(WAIT);
  }
  expect(await handle?.evaluate((node) => node.isConnected)).toBe(true);
  await shot(page, `${prefix}-inbox`);

  await page.getByRole("button", { name: "Accounts", exact: true }).click();
}

export async function disconnect(page: Page, accountId: string) {
  const card = page.locator(`[data-account-id="${accountId}"]`);
  await card.getByRole("button", { name: "Disconnect" }).click();
  await card.getByRole("button", { name: "Yes, disconnect" }).click();
  // Disconnected, or deleted when Unipile's DELETED webhook was recorded first: both end the account.
  await page.locator(`[data-account-id="${accountId}"]:is([data-status="disconnected"], [data-status="deleted"])`).waitFor(WAIT);
}
