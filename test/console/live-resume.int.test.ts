/**
 * The console's event stream reader (src/console/ui/live.ts) against the real
 * service: after the connection drops it reconnects with Last-Event-ID set to
 * the last event it handled, and gets every event written meanwhile, once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { hc } from "hono/client";
import type { ApiClient } from "../../src/console/ui/api-client";
import { openLiveStream } from "../../src/console/ui/live";
import type { LiveEvent } from "../../src/console/ui/model";
import { waitFor } from "../sandbox/support";
import { type ConsoleService, startConsoleService } from "./support";

let service: ConsoleService;
beforeAll(async () => {
  service = await startConsoleService();
});
afterAll(async () => {
  await service?.close();
});

test("a dropped stream resumes with Last-Event-ID and misses nothing", async () => {
  const { token } = (await (await fetch(`${service.url}/console/session`)).json()) as { token: string };
  // Given: a linked account, and a client whose stream connections the test can cut
  const connection = (await (await fetch(`${service.url}/api/unipile/connect-whatsapp`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).json()) as { accountIdentifier: string };
  const streams: { controller: AbortController; lastEventId: string | null }[] = [];
  const cuttable = (async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
    if (!request.url.includes("/api/events/stream")) return fetch(request);
    const controller = new AbortController();
    streams.push({ controller, lastEventId: request.headers.get("last-event-id") });
    return fetch(request, { signal: controller.signal });
  }) as typeof fetch;
  const client = hc(service.url, { headers: { authorization: `Bearer ${token}` }, fetch: cuttable }) as unknown as ApiClient;
  const events: LiveEvent[] = [];
  const states: string[] = [];
  const stream = openLiveStream(client, (event) => events.push(event), (state) => states.push(state));
  try {
    await waitFor(() => states.includes("live"), 10_000);
    await service.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, { phone_number: "+15550001111" });
    await waitFor(() => events.some((e) => e.event === "account" && e.data.account.status === "connected"), 10_000);
    const handledBefore = stream.lastEventId();
    expect(handledBefore).not.toBeNull();

    // When: the connection drops, and a contact writes while it is down
    streams[0]?.controller.abort();
    await service.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/incoming`, { from: "+15550002222", text: "written during the drop" });

    // Then: the reader reconnected from the last event it handled, and the message came once
    await waitFor(() => events.some((e) => e.event === "message" && e.data.message.text === "written during the drop"), 15_000);
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[1]?.lastEventId).toBe(handledBefore);
    // A history import's end comes as an `account` event and a `conversations` event with the same id (its log position).
    const ids = events.map((e) => `${e.event}:${e.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(states).toContain("reconnecting");
  } finally {
    stream.close();
  }
}, 60_000);
