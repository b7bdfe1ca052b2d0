/**
 * Load shedding through the real app: past its bound of webhooks in flight,
 * the service answers 503 OVERLOADED with Retry-After at once, records
 * nothing for that delivery, and takes the same delivery when it comes again.
 * Deliveries are held inside the service by a lock on their log stream,
 * taken by another connection, as a slow database would hold them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UNKNOWN_WEBHOOKS_STREAM } from "../../src/unipile/ingest/keys";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ WEBHOOK_MAX_IN_FLIGHT: "2", API_MAX_IN_FLIGHT: "1" });
});
afterAll(async () => {
  await h.close();
});

const deliver = (body: unknown) =>
  fetch(`${h.url}/api/unipile/webhook`, { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET }, body: JSON.stringify(body) });

const factsOf = async (marker: string) =>
  (await h.tdb.sql<{ n: number }[]>`select count(*)::int as n from events where data::text like ${`%${marker}%`}`)[0]?.n;

describe("admission", () => {
  test("past the webhook bound: 503 with Retry-After, nothing recorded, and the same delivery is taken later", async () => {
    const marker = crypto.randomUUID();
    const bodies = [0, 1, 2].map((i) => ({ event: "not_a_known_event", marker, i }));
    await h.tdb.sql`insert into streams (stream_id, version) values (${UNKNOWN_WEBHOOKS_STREAM}, 0) on conflict do nothing`;

    // Given: two deliveries held inside the service by a lock on their stream
    const holder = await h.tdb.sql.reserve();
    let first: Promise<Response>[] = [];
    try {
      await holder`begin`;
      await holder`select version from streams where stream_id = ${UNKNOWN_WEBHOOKS_STREAM} for update`;
      first = [deliver(bodies[0]), deliver(bodies[1])];
      for (let i = 0; i < 200; i++) {
        const waiting = await h.tdb.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()
        `;
        if ((waiting[0]?.n ?? 0) > 0) break;
        await Bun.sleep(10);
      }

      // When: a third arrives
      const shed = await deliver(bodies[2]);

      // Then: it is refused at once, in the one error shape, and not recorded
      expect(shed.status).toBe(503);
      expect(shed.headers.get("retry-after")).toBe("1");
      expect(await shed.json()).toEqual({ error: expect.stringContaining("2 webhook deliveries"), code: "OVERLOADED", requestId: expect.any(String) });
      expect(await factsOf(marker)).toBe(0);
    } finally {
      await holder`rollback`;
      holder.release();
    }

    // The held two are answered once their facts are in the log; the refused one, sent again, is taken
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect((await deliver(bodies[2])).status).toBe(200);
    expect(await factsOf(marker)).toBe(3);
  });

  test("API requests have their own bound, and a webhook is not refused because the API is busy", async () => {
    // Given: one API request held (a query waits for a projection held by a lock on its checkpoint)
    const holder = await h.tdb.sql.reserve();
    let held: Promise<Response> | null = null;
    try {
      await holder`begin`;
      await holder`lock table projection_checkpoints in access exclusive mode`;
      const token = await h.token("user-admission");
      held = fetch(`${h.url}/api/conversations`, { headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 200; i++) {
        const waiting = await h.tdb.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()
        `;
        if ((waiting[0]?.n ?? 0) > 0) break;
        await Bun.sleep(10);
      }

      // Then: a second API request is shed, a webhook is not
      const shed = await fetch(`${h.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(shed.status).toBe(503);
      expect(await shed.json()).toMatchObject({ code: "OVERLOADED" });
      const marker = crypto.randomUUID();
      expect((await deliver({ event: "not_a_known_event", marker })).status).toBe(200);
    } finally {
      await holder`rollback`;
      holder.release();
    }
    expect((await held)?.status).toBe(200);
  });
});
