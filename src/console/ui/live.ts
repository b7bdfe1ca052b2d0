/**
 * @module console/live
 * The console's one connection to `/api/events/stream`. `EventSource` cannot
 * send an Authorization header (and a token never goes in a URL), so this
 * reads the stream with `fetch` through the API client, parses the events,
 * and after a drop reconnects with `Last-Event-ID` set to the last event it
 * handled: the service resends exactly the events after it.
 */
import type { ApiClient } from "./api-client";
import type { LiveEvent } from "./model";

/** The events the console handles (`conversations`: refetch the list, after a history import). */
const LIVE_EVENTS = new Set(["account", "conversation", "conversations", "message"]);

export type LiveState = "connecting" | "live" | "reconnecting";

export interface LiveStream {
  close(): void;
  /** The id of the last event handled (what a reconnection resumes from). */
  lastEventId(): string | null;
}

export function openLiveStream(client: ApiClient, onEvent: (event: LiveEvent) => void, onState: (state: LiveState) => void): LiveStream {
  const controller = new AbortController();
  let lastId: string | null = null;
  let attempt = 0;
  const run = async () => {
    while (!controller.signal.aborted) {
      onState(attempt === 0 ? "connecting" : "reconnecting");
      try {
        const response = await client.api.events.stream.$get(
          { query: {}, header: lastId ? { "last-event-id": lastId } : {} },
          { headers: { Accept: "text/event-stream" }, init: { signal: controller.signal } },
        );
        if (response.ok && response.body) {
          await readEvents(response.body, (block) => {
            if (block.event === "ready") {
              attempt = 0;
              onState("live");
              return;
            }
            if (block.id) lastId = block.id;
            if (LIVE_EVENTS.has(block.event)) {
              onEvent({ event: block.event, id: block.id ?? "", data: JSON.parse(block.data) } as LiveEvent);
            }
          });
        }
      } catch {
        // A network drop or an abort: retried below unless closed.
      }
      if (controller.signal.aborted) return;
      attempt++;
      onState("reconnecting");
      await delay(Math.min(500 * 2 ** Math.min(attempt, 4), 8000), controller.signal);
    }
  };
  void run();
  return { close: () => controller.abort(), lastEventId: () => lastId };
}

interface Block {
  id: string | null;
  event: string;
  data: string;
}

async function readEvents(body: ReadableStream<Uint8Array>, handle: (block: Block) => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = parseBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (block) handle(block);
      cut = buffer.indexOf("\n\n");
    }
  }
}

export function parseBlock(text: string): Block | null {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  return { id, event, data: data.join("\n") };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
