/**
 * Per-user (and, without a valid token, per-address) token buckets through
 * the real app: past the burst, 429 RATE_LIMITED in the error shape with
 * Retry-After and the IETF draft RateLimit-Policy / RateLimit headers; the
 * same request succeeds after Retry-After; other users and webhooks are not
 * limited by it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errorShape, newUser } from "../messaging/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ RATE_LIMIT_USER_PER_SECOND: "1", RATE_LIMIT_USER_BURST: "3", RATE_LIMIT_IP_PER_SECOND: "1", RATE_LIMIT_IP_BURST: "2" });
});
afterAll(async () => {
  await h.close();
});

describe("rate limits", () => {
  test("a user past the burst is answered 429 with the headers; after Retry-After the same request succeeds", async () => {
    const user = newUser();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await h.request("/api/me", { as: user }));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(answers[0]?.headers.get("ratelimit-policy")).toBe('"user";q=3;w=3');
    expect(answers.map((r) => r.headers.get("ratelimit")?.split(";")[1])).toEqual(["r=2", "r=1", "r=0"]);

    // When: one more at once
    const limited = await h.request("/api/me", { as: user });

    // Then
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual(errorShape("RATE_LIMITED"));
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("ratelimit-policy")).toBe('"user";q=3;w=3');
    expect(limited.headers.get("ratelimit")).toMatch(/^"user";r=0;t=\d+$/);

    // Another user is not limited by it
    expect((await h.request("/api/me", { as: newUser() })).status).toBe(200);

    // After Retry-After, the same request succeeds
    await Bun.sleep(retryAfter * 1000);
    expect((await h.request("/api/me", { as: user })).status).toBe(200);
  });

  test("calls without a valid token are limited per address; webhooks are not limited", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.request("/api/me", { headers: { authorization: "Bearer not-a-token" } })).status);
    expect(statuses).toContain(429);
    const limited = await h.request("/api/me");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("ratelimit-policy")).toBe('"ip";q=2;w=2');

    const webhooks = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body: JSON.stringify({ event: "not_a_known_event", i, marker: crypto.randomUUID() }) }),
      ),
    );
    expect(webhooks.map((r) => r.status)).toEqual(Array(10).fill(200));
  });
});
