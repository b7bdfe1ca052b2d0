/**
 * A real headless Chromium for browser tests: Debian's `chromium` (installed by
 * ./scripts/test when missing, or CHROMIUM_PATH) driven by playwright-core.
 * Each page records every request it makes, so a test can check that nothing
 * left the machine.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// Without the background-networking flags Chromium dials Google's hosts at start.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (own cookies and storage); its pages record their requests. */
  context(options?: BrowserContextOptions): Promise<RecordingContext>;
  close(): Promise<void>;
}

export interface RecordingContext {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Every URL requested by any page of this context, in order. */
  requests: string[];
  /** Requested URLs whose host is not loopback (data: and blob: URLs are local). */
  offMachine(): string[];
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not at ${CHROMIUM}: run the suite with ./scripts/test (it installs Debian's chromium) or set CHROMIUM_PATH.`);
  }
  // playwright-core gives the browser a new empty profile of its own.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  return {
    browser,
    async context(options) {
      const context = await browser.newContext(options);
      const requests: string[] = [];
      context.on("request", (request) => requests.push(request.url()));
      return {
        context,
        requests,
        newPage: () => context.newPage(),
        offMachine: () => requests.filter((url) => !isLocal(url)),
      };
    },
    async close() {
      await browser.close();
    },
  };
}

export function isLocal(url: string): boolean {
  if (url.startsWith("data:") || url.startsWith("blob:") || url.startsWith("about:")) return true;
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" || host === "::1";
}
