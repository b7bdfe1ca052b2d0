import { afterAll, beforeAll, expect, test } from "bun:test";
import { launchBrowser, type TestBrowser } from "./browser";

let browser: TestBrowser;
let server: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("<button onclick=\"this.textContent='clicked'\">click</button>", { headers: { "content-type": "text/html" } }) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  server?.stop(true);
});

test("the test browser renders a page on loopback, clicks, and records its requests", async () => {
  const recording = await browser.context();
  const page = await recording.newPage();
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.click("button");
  expect(await page.textContent("button")).toBe("clicked");
  expect(recording.requests.length).toBeGreaterThan(0);
  expect(recording.offMachine()).toEqual([]);
});
