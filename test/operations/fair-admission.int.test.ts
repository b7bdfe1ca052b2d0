/**
 * Fair admission through the real server: one user holding 300 requests
 * whose bodies trickle in gets its share of the API slots (the rest are
 * answered 429 at once), another user is served meanwhile, and the held
 * requests are answered 408 in the error shape once the body deadline
 * passes, which frees their slots. The slow clients are raw sockets, so the
 * test's own HTTP client pool does not queue the other user's request.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";

const SHARE = 32;
const DEADLINE_MS = 3000;
let h: Harness;
beforeAll(async () => {
  h = await createHarness({ API_MAX_IN_FLIGHT: "256", API_MAX_IN_FLIGHT_PER_CALLER: String(SHARE), REQUEST_BODY_TIMEOUT_MS: String(DEADLINE_MS) });
});
afterAll(async () => {
  await h.close();
});

interface SlowClient {
  socket: Socket<undefined>;
  answer: () => string;
}

/** Opens a connection, sends the head of a POST announcing 1000 bytes and one byte of body, and keeps it open. */
async function slowBody(token: string): Promise<SlowClient> {
  let received = "";
  const { port } = new URL(h.url);
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: Number(port),
    socket: {
      data(_s, data) {
        received += data.toString();
      },
    },
  });
  socket.write(
    `POST /api/unipile/message HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
  );
  return { socket, answer: () => received };
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe("fair admission", () => {
  test("one user holding 300 slow bodies does not stop another user's requests; the held ones end 408", async () => {
    // Given: user A opens 300 requests whose bodies never finish
    const tokenA = await h.token("user-slow");
    const clients = await Promise.all(Array.from({ length: 300 }, () => slowBody(tokenA)));
    try {
      // Past A's share, A is answered 429 at once, before its body
      await waitFor(() => clients.filter((c) => statusOf(c.answer()) === 429).length === 300 - SHARE || undefined, 10000);
      const refused = clients.find((c) => statusOf(c.answer()) === 429)?.answer() ?? "";
      expect(refused).toContain('"code":"TOO_MANY_REQUESTS"');
      expect(refused.toLowerCase()).toContain("retry-after: 1");
      const held = clients.filter((c) => c.answer() === "");
      expect(held).toHaveLength(SHARE);

      // When: user B asks while A's requests are held
      const other = await fetch(`${h.url}/api/me`, { headers: { authorization: `Bearer ${await h.token("user-other")}` } });

      // Then: B is served
      expect(other.status).toBe(200);
      expect(await other.json()).toMatchObject({ userId: "user-other" });

      // And A's held requests end with 408 in the error shape once the deadline passes, which frees A's share
      await waitFor(() => held.every((c) => statusOf(c.answer()) === 408) || undefined, DEADLINE_MS + 10000);
      expect(held[0]?.answer()).toContain('"code":"REQUEST_TIMEOUT"');
      const again = await fetch(`${h.url}/api/me`, { headers: { authorization: `Bearer ${tokenA}` } });
      expect(again.status).toBe(200);
    } finally {
      for (const c of clients) c.socket.end();
    }
  });
});
