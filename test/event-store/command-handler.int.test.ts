import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import {
  type Command,
  commandMetadata,
  createEventStore,
  type EventStore,
  StreamContentionError,
  systemMetadata,
} from "../../src/event-store";
import type { AppEnv } from "../../src/http/app-env";
import { handleError } from "../../src/http/errors";
import { err, ok } from "../../src/lib/result";
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

type Counted = { type: "Counted"; data: { n: number } };
const metadata = commandMetadata({ userId: "alice", requestId: "req-1" }, new Date("2025-03-15T12:00:00Z"));
const stream = () => `counter:${crypto.randomUUID()}`;

/** Appends the next number after the stream's count (refused from 100 on). */
function count(streamId: string): Command<number, Counted, "TOO_MANY"> & { decisions: number[] } {
  const decisions: number[] = [];
  return {
    streamId,
    initial: 0,
    evolve: (n, e) => (e.type === "Counted" ? e.data.n : n),
    decide(n) {
      decisions.push(n);
      if (n >= 100) return err("TOO_MANY" as const);
      return ok([{ type: "Counted" as const, data: { n: n + 1 } }]);
    },
    metadata,
    decisions,
  };
}

/** A command whose decide lets another writer append to the stream between its read and its append, `times` times. */
function interfered(streamId: string, times: number) {
  const command = count(streamId);
  let left = times;
  const decide = command.decide.bind(command);
  return {
    ...command,
    async decide(n: number) {
      const decided = decide(n);
      if (left-- > 0) await store.appendToStream(streamId, [{ type: "Other", data: {}, metadata }], { expectedVersion: "any" });
      return decided;
    },
  };
}

const numbers = async (streamId: string) => (await store.readStream(streamId)).filter((e) => e.type === "Counted").map((e) => (e.data as { n: number }).n);

describe("handleCommand", () => {
  test("appends what decide returns at the version read, and answers the state after it and where to wait", async () => {
    const id = stream();
    const first = await store.handle(count(id));
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.value.events).toEqual([{ type: "Counted", data: { n: 1 } }]);
    expect(first.value.state).toBe(1);
    expect(first.value.version).toBe(1);
    const [recorded] = await store.readStream(id);
    expect(first.value.position).toEqual({ transactionId: recorded?.transactionId as string, globalPosition: recorded?.globalPosition as number });
    expect(recorded?.metadata).toMatchObject({ source: "command", actor: "alice", requestId: "req-1", receivedAt: "2025-03-15T12:00:00.000Z" });
  });

  test("an answer from decide appends nothing; an empty decision appends nothing and has no position", async () => {
    const id = stream();
    const refused = await store.handle({ ...count(id), initial: 100 });
    expect(refused).toEqual({ ok: false, error: "TOO_MANY" });
    const nothing = await store.handle({ ...count(id), decide: () => ok([]) });
    expect(nothing.ok && nothing.value).toEqual({ events: [], state: 0, version: 0, position: null });
    expect(await store.readStream(id)).toEqual([]);
  });

  test("concurrent commands on one stream each decide from what the others appended: no number twice, none lost", async () => {
    const id = stream();
    const results = await Promise.all(Array.from({ length: 4 }, () => store.handle(count(id))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await numbers(id)).toEqual([1, 2, 3, 4]);
    const many = stream();
    await Promise.all(Array.from({ length: 12 }, () => store.handle(count(many), { maxAttempts: 12 })));
    expect(await numbers(many)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  test("a conflict is retried: the command reads again and decides from the newer stream", async () => {
    const id = stream();
    await store.handle(count(id));
    const command = interfered(id, 1);
    const handled = await store.handle(command);
    expect(handled.ok && handled.value.version).toBe(3);
    expect(command.decisions).toEqual([1, 1]);
    expect((await store.readStream(id)).map((e) => e.type)).toEqual(["Counted", "Other", "Counted"]);
  });

  test("a known state skips the first read; a stale one conflicts and is read again", async () => {
    const id = stream();
    await store.handle(count(id));
    await store.handle(count(id));
    const command = count(id);
    const handled = await store.handle({ ...command, known: { state: 1, version: 1 } });
    expect(command.decisions).toEqual([1, 2]);
    expect(handled.ok && handled.value.state).toBe(3);
  });

  test("four conflicts in a row are a StreamContentionError, and nothing of the command is stored", async () => {
    const id = stream();
    const command = interfered(id, Number.POSITIVE_INFINITY);
    const failure = await store.handle(command).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StreamContentionError);
    expect(failure).toMatchObject({ code: "STREAM_VERSION_CONFLICT", streamId: id, attempts: 4 });
    expect(command.decisions).toHaveLength(4);
    expect(await numbers(id)).toEqual([]);
  });

  test("HTTP answers a StreamContentionError 409 STREAM_VERSION_CONFLICT with Retry-After, in the error shape", async () => {
    const app = new Hono<AppEnv>();
    app.use(async (c, next) => {
      c.set("requestId", "req-42");
      await next();
    });
    app.get("/", () => {
      throw new StreamContentionError("counter:x", 4);
    });
    app.onError(handleError);
    const response = await app.request("/");
    expect(response.status).toBe(409);
    expect(response.headers.get("retry-after")).toBe("1");
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["code", "error", "requestId"]);
    expect(body).toMatchObject({ code: "STREAM_VERSION_CONFLICT", requestId: "req-42" });
  });
});

describe("metadata", () => {
  test("a command names its user and request; the service's own facts name their source", () => {
    const at = new Date("2025-03-15T12:00:00Z");
    expect(commandMetadata({ userId: "u1", requestId: "r1" }, { now: () => at })).toEqual({ source: "command", actor: "u1", requestId: "r1", receivedAt: at.toISOString() });
    expect(systemMetadata("poll", at)).toEqual({ source: "poll", actor: "system", receivedAt: at.toISOString() });
    expect(systemMetadata("webhook", at, { actor: "unipile", requestId: "r2" })).toEqual({ source: "webhook", actor: "unipile", requestId: "r2", receivedAt: at.toISOString() });
  });
});
