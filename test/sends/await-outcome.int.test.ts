/**
 * A copy of a send in flight waits for its outcome on the runner's wake-ups
 * (each append's NOTIFY), reading the send's stream once per wake-up, with a
 * look every FALLBACK_MS when none comes, until its deadline.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEventStore, type EventStore, systemMetadata } from "../../src/event-store";
import { awaitOutcome, FALLBACK_MS } from "../../src/sends/await-outcome";
import { sendStream } from "../../src/sends/events";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let tdb: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  tdb = await createTestDatabase();
  store = createEventStore(tdb.sql);
});
afterAll(async () => {
  await tdb.drop();
});

const metadata = systemMetadata("system", new Date("2026-01-01T10:00:00Z"));
const AT = "2026-01-01T10:00:00.000Z";

/** A send stream with attempt 1 requested and no outcome yet. */
async function inFlight() {
  const sendId = crypto.randomUUID();
  const data = {
    sendId, attempt: 1, userId: "alice", accountId: "acc", unipileAccountId: "U", unipileChatId: "chat", recipients: [], text: "Bonjour",
    attachments: [], quoteUnipileMessageId: null, fingerprint: "f1", idempotencyKey: "k", at: AT,
  };
  await store.appendToStream(sendStream(sendId), [{ type: "MessageSendRequested", data, metadata }], { expectedVersion: 0 });
  return sendId;
}
const recordSent = (sendId: string) =>
  store.appendToStream(
    sendStream(sendId),
    [{ type: "MessageSent", data: { sendId, unipileAccountId: "U", unipileChatId: "chat", unipileMessageId: "m", newChat: false, at: AT }, metadata }],
    { expectedVersion: 1 },
  );

/** A runner's wake-ups, fired by the test. */
function wakeUps() {
  const listeners = new Set<() => void>();
  return { onWake: (l: () => void) => (listeners.add(l), () => listeners.delete(l)), wake: () => listeners.forEach((l) => l()), listeners };
}

describe("a copy of a send in flight", () => {
  test("answers as soon as a wake-up follows the outcome, and stops listening", async () => {
    const sendId = await inFlight();
    const runner = wakeUps();
    // No fallback look within the test: only the wake-up can bring the answer.
    const waiting = awaitOutcome({ eventStore: store, runner }, sendStream(sendId), "f1", 60_000, 60_000);
    await Bun.sleep(100);
    await recordSent(sendId);
    runner.wake();
    const answer = await waiting;
    expect(answer).toMatchObject({ kind: "sent", sent: { sendId, unipileMessageId: "m" } });
    expect(runner.listeners.size).toBe(0);
  });

  test("without a wake-up it still looks again after FALLBACK_MS; past its deadline it gives up (null)", async () => {
    const sendId = await inFlight();
    const runner = wakeUps();
    const waiting = awaitOutcome({ eventStore: store, runner }, sendStream(sendId), "f1", 10 * FALLBACK_MS);
    await Bun.sleep(100);
    await recordSent(sendId);
    expect(await waiting).toMatchObject({ kind: "sent" });
    const stale = await inFlight();
    const since = performance.now();
    expect(await awaitOutcome({ eventStore: store, runner }, sendStream(stale), "f1", 300)).toBeNull();
    expect(performance.now() - since).toBeGreaterThanOrEqual(290);
  });

  test("another request with the same key is answered IDEMPOTENCY_KEY_REUSED without waiting", async () => {
    const sendId = await inFlight();
    expect(await awaitOutcome({ eventStore: store, runner: wakeUps() }, sendStream(sendId), "other", 10_000)).toEqual({ kind: "IDEMPOTENCY_KEY_REUSED" });
  });
});
