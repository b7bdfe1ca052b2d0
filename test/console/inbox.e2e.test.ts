/**
 * The console's inbox in a real headless Chromium against the real service
 * (development sign-in, sandbox mode): the conversation list scrolls on the
 * cursor past its first page, a contact's file downloads from its bubble,
 * reactions and edited/deleted marks reach the bubbles live (the sandbox's
 * message controls raise the webhooks), and a reply carries its quote.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { TOKEN } from "../sandbox/support";
import { launchBrowser, type RecordingContext, type TestBrowser } from "../support/browser";
import { onFailure, shot } from "./flow";
import { type ConsoleService, startConsoleService } from "./support";

const WAIT = { timeout: 20_000 };
/** More chats than the list's first page (30). */
const CHATS = 42;
const CONTACT = "+447700900111";

let browser: TestBrowser;
let service: ConsoleService;
let token: string;
/** The linked account: ours and the sandbox's ids. */
let account: { accountId: string; accountIdentifier: string };

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function until<T>(what: string, read: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** A contact writes (the sandbox's control): the sandbox's (Unipile's) message id. */
async function contactWrites(text: string, extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await service.control<{ message_id: string }>("POST", `/sandbox/accounts/${account.accountIdentifier}/incoming`, { from: CONTACT, name: "Ada", text, ...extra });
  return answer.message_id;
}

const messageControl = (messageId: string, action: string, body: unknown = {}) =>
  service.control("POST", `/sandbox/accounts/${account.accountIdentifier}/messages/${messageId}/${action}`, body);

beforeAll(async () => {
  [browser, service] = await Promise.all([launchBrowser(), startConsoleService()]);
  token = ((await (await fetch(`${service.url}/console/session`)).json()) as { token: string }).token;
  account = await api("POST", "/api/unipile/connect-whatsapp", {});
  await service.control("POST", `/sandbox/accounts/${account.accountIdentifier}/scan`, { history: { chats: CHATS, messages_per_chat: 1 } });
  await until("the imported chats", async () => {
    const page = await api<{ items: unknown[] }>("GET", `/api/conversations?accountId=${account.accountId}&limit=100`);
    return page.items.length >= CHATS ? page : null;
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await service?.close();
});

async function openInbox(recording: RecordingContext): Promise<{ page: Page; problems: string[] }> {
  const page = await recording.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(`${service.url}/`);
  await page.getByRole("button", { name: "Inbox", exact: true }).click(WAIT);
  await page.locator(".account-pick select").selectOption(account.accountId, WAIT);
  await page.locator('[role="status"].live-live').waitFor(WAIT);
  return { page, problems };
}

/** Opens the contact's conversation (the newest: it is on top) and returns its thread. */
async function openContactThread(page: Page) {
  await page.getByRole("list", { name: "Conversations" }).getByRole("button", { name: /Ada/ }).first().click(WAIT);
  const thread = page.getByRole("region", { name: /Conversation with Ada/ });
  await thread.locator(".bubble").first().waitFor(WAIT);
  return thread;
}

describe("the inbox", () => {
  test("scrolls the conversation list past its first page on the cursor", async () => {
    const recording = await browser.context({ viewport: { width: 1280, height: 700 } });
    const { page, problems } = await openInbox(recording);
    const rows = page.getByRole("list", { name: "Conversations" }).locator("[data-conversation-id]");
    await onFailure(page, "inbox-scroll-failure", problems, async () => {
      await rows.nth(29).waitFor(WAIT);
      expect(await rows.count()).toBe(30);
      expect(recording.requests.filter((url) => url.includes("/api/conversations?") && url.includes("cursor="))).toEqual([]);

      const next = page.waitForRequest((r) => r.url().includes("/api/conversations?") && r.url().includes("cursor="), WAIT);
      await page.locator(".sentinel").scrollIntoViewIfNeeded();
      await next;
      await rows.nth(CHATS - 1).waitFor(WAIT);
      const ids = await rows.evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-conversation-id")));
      expect(ids.length).toBe(CHATS);
      expect(new Set(ids).size).toBe(CHATS);
      // The last page has no cursor: the sentinel is gone, nothing more is asked for.
      await page.locator(".sentinel").waitFor({ state: "detached", ...WAIT });
    });
    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 60_000);

  test("a contact's file downloads from its bubble, with its bytes", async () => {
    const content = "%PDF-1.4 the signed contract";
    await contactWrites("The contract", { attachments: [{ file_name: "contract.pdf", mimetype: "application/pdf", type: "file", content_base64: Buffer.from(content).toString("base64") }] });
    const recording = await browser.context({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const { page, problems } = await openInbox(recording);
    await onFailure(page, "inbox-download-failure", problems, async () => {
      const thread = await openContactThread(page);
      const bubble = thread.locator(".bubble.theirs", { hasText: "The contract" });
      const link = bubble.getByRole("button", { name: "Download contract.pdf" });
      await link.waitFor(WAIT);
      const download = page.waitForEvent("download", WAIT);
      await link.click();
      const file = await download;
      expect(file.suggestedFilename()).toBe("contract.pdf");
      expect(readFileSync(await file.path()).toString()).toBe(content);
    });
    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 60_000);

  test("reactions, edits and deletions reach the bubbles live", async () => {
    const liked = await contactWrites("Lunch at noon?");
    const edited = await contactWrites("See you at the statoin");
    const deleted = await contactWrites("Wrong chat, sorry");
    const recording = await browser.context({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await openInbox(recording);
    await onFailure(page, "inbox-marks-failure", problems, async () => {
      const thread = await openContactThread(page);
      await thread.locator(".bubble", { hasText: "Wrong chat, sorry" }).waitFor(WAIT);
      const bubbles = thread.locator(".bubble");
      const before = await bubbles.count();

      await messageControl(liked, "reaction", { value: "👍" });
      await messageControl(liked, "reaction", { value: "❤️", by: "+447700900222" });
      await messageControl(edited, "edit", { text: "See you at the station" });
      await messageControl(deleted, "delete");

      const reactions = thread.locator(".bubble", { hasText: "Lunch at noon?" }).getByLabel("Reactions");
      await reactions.filter({ hasText: "❤️" }).waitFor(WAIT);
      expect(await reactions.textContent()).toContain("👍");
      const fixed = thread.locator(".bubble", { hasText: "See you at the station" });
      await fixed.getByText("edited ·").waitFor(WAIT);
      expect(await thread.getByText("See you at the statoin").count()).toBe(0);
      await thread.getByText("This message was deleted.").waitFor(WAIT);
      expect(await thread.getByText("Wrong chat, sorry").count()).toBe(0);
      // Updated in place: no bubble was added.
      expect(await bubbles.count()).toBe(before);
      await shot(page, "desktop-inbox-marks");
    });
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 60_000);

  test("a reply quotes the message it answers, in the bubble and in what is sent", async () => {
    const question = await contactWrites("Which flat is it?");
    const recording = await browser.context({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await openInbox(recording);
    await onFailure(page, "inbox-reply-failure", problems, async () => {
      const thread = await openContactThread(page);
      const asked = thread.locator(".bubble.theirs", { hasText: "Which flat is it?" });
      await asked.getByRole("button", { name: "Reply to this message" }).click(WAIT);
      await thread.getByText("Replying to “Which flat is it?”").waitFor(WAIT);

      await thread.getByRole("textbox", { name: "Message" }).fill("Flat 4, second floor");
      const sent = page.waitForResponse((r) => r.url().endsWith("/api/unipile/message") && r.request().method() === "POST", WAIT);
      await thread.getByRole("button", { name: "Send" }).click();
      const mine = thread.locator(".bubble.mine", { hasText: "Flat 4, second floor" });
      expect(await mine.locator("blockquote.quoted").textContent(WAIT)).toBe("Which flat is it?");
      expect(await thread.getByText("Replying to").count()).toBe(0);

      const answer = await sent;
      const request = answer.request().postDataJSON() as { quoteId?: string };
      const askedId = await asked.getAttribute("data-message-id");
      expect(request.quoteId).toBe(askedId ?? "missing");
      const { message } = (await answer.json()) as { message: { unipileMessageId: string; quoted: { messageId: string | null; text: string | null } | null } };
      expect(message.quoted).toMatchObject({ messageId: askedId, text: "Which flat is it?" });
      await thread.locator('.bubble.mine[data-status="sent"]', { hasText: "Flat 4, second floor" }).locator("blockquote.quoted").waitFor(WAIT);

      // WhatsApp (the sandbox) got the quote.
      const upstream = await fetch(`${service.sandbox.url}/api/v1/messages/${message.unipileMessageId}`, { headers: { "X-API-KEY": TOKEN } });
      const stored = (await upstream.json()) as { quoted?: { text?: string } };
      expect(stored.quoted?.text).toBe("Which flat is it?");
      expect(question).toBeTruthy();
    });
    expect(recording.offMachine()).toEqual([]);
    expect(problems).toEqual([]);
    await recording.context.close();
  }, 60_000);
});
