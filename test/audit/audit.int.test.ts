import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountStream } from "../../src/accounts/events";
import type { AuditEvent } from "../../src/audit";
import { encodeStreamCursor } from "../../src/audit/cursor";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness } from "../support/harness";
import { logVisible } from "../support/log-visible";
import { AUDITOR, auditJson, type EventPage, expectLogOrder, readAllPages, settledAccount } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

type Json = Record<string, unknown>;
const errorShape = (code: string) => ({ error: expect.any(String), code, requestId: expect.any(String) });
const positions = (events: readonly AuditEvent[]) => events.map((e) => e.globalPosition);

async function connectedAccount(userId: string) {
  const response = await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: userId });
  const { accountId, accountIdentifier } = (await response.json()) as { accountId: string; accountIdentifier: string };
  await h.control("POST", `/sandbox/accounts/${accountIdentifier}/scan`, { phone_number: "33612345678" });
  await waitFor(async () => {
    const { account } = (await (await h.request(`/api/unipile/account?accountId=${accountId}`, { as: userId })).json()) as { account: Json };
    return account.status === "connected" && account.phoneNumber !== null;
  }, 10000);
  await settledAccount(h, accountIdentifier);
  return { accountId, unipileId: accountIdentifier };
}

const fact = (streamId: string, type: string, data: Json) => ({ streamId, type, data, metadata: { source: "poll" as const, actor: "system", receivedAt: new Date().toISOString() } });

describe("access", () => {
  const routes = [
    "/api/audit/events",
    `/api/audit/streams/${encodeURIComponent("account:x")}`,
    "/api/audit/export",
    `/api/audit/accounts/${crypto.randomUUID()}/state`,
    "/api/audit/verify",
  ];

  test.each(routes)("%s: no token 401, a token without the auditor role 403", async (path) => {
    const anonymous = await h.request(path);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual(errorShape("UNAUTHENTICATED"));
    for (const roles of [[], ["admin", "support"]]) {
      const user = await h.request(path, { as: "user-without-role", roles });
      expect(user.status).toBe(403);
      expect(await user.json()).toEqual(errorShape("FORBIDDEN"));
    }
  });

  test("an unknown route under /api/audit is refused before it is looked up", async () => {
    expect((await h.request("/api/audit/nothing-here")).status).toBe(401);
    expect((await h.request("/api/audit/nothing-here", AUDITOR)).status).toBe(404);
  });
});

describe("paging", () => {
  test("while events keep being appended, each event comes once, in log order", async () => {
    // Given: a writer appending facts, commands, and transactions that commit late on purpose
    const stream = `audit-probe:${crypto.randomUUID()}`;
    let writing = true;
    let written = 0;
    const writer = (async () => {
      const late: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        if (i % 8 === 3) late.push(commitLate(`${stream}-late-${i}`, 120).then(() => written++));
        await h.deps.eventStore.appendFacts([0, 1, 2].map((n) => fact(stream, "AuditProbe", { i, n })));
        await h.deps.eventStore.appendToStream(`${stream}-cmd`, [{ type: "AuditProbe", data: { i }, metadata: { source: "command", actor: "t", requestId: "r" } }], { expectedVersion: "any" });
        written += 4;
        await Bun.sleep(3);
      }
      await Promise.all(late);
      writing = false;
    })();

    // When: an auditor pages through the whole log with small pages meanwhile, then resumes until every probe is seen
    const seen: AuditEvent[] = [];
    let after: string | null = null;
    const readPage = async () => {
      const page: EventPage = await auditJson(h, `/api/audit/events?limit=7${after ? `&after=${after}` : ""}`);
      seen.push(...page.items);
      after = page.nextCursor ?? page.resumeCursor;
      return page;
    };
    while (writing) await readPage();
    await writer;
    await waitFor(async () => {
      const page = await readPage();
      return !page.nextCursor && seen.filter((e) => e.type === "AuditProbe" && e.streamId.startsWith(stream)).length === written;
    }, 10000);

    // Then: no repeats, log order, and exactly the log up to the last event seen
    expect(new Set(positions(seen)).size).toBe(seen.length);
    expectLogOrder(seen);
    const last = seen.at(-1) as AuditEvent;
    const log = await h.deps.sql<{ global_position: number }[]>`
      select global_position from events
      where (transaction_id, global_position) <= (${last.transactionId}::xid8, ${last.globalPosition}::bigint)
      order by transaction_id, global_position`;
    expect(positions(seen)).toEqual(log.map((r) => r.global_position));
  });

  test("limit defaults to 100 and a stream pages by version", async () => {
    const stream = `audit-stream:${crypto.randomUUID()}`;
    await h.deps.eventStore.appendFacts(Array.from({ length: 105 }, (_, i) => fact(stream, "AuditStreamProbe", { i })));
    await logVisible(h.deps.sql);
    const first = await auditJson<EventPage>(h, "/api/audit/events?type=AuditStreamProbe");
    expect(first.items).toHaveLength(100);
    expect(first.nextCursor).toEqual(expect.any(String));

    const versions: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { items: AuditEvent[]; nextCursor: string | null } = await auditJson(h, `/api/audit/streams/${encodeURIComponent(stream)}?limit=20${after ? `&after=${after}` : ""}`);
      versions.push(...page.items.map((e) => e.streamVersion));
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    expect(versions).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    const unencoded = await auditJson<{ items: AuditEvent[] }>(h, `/api/audit/streams/${stream}?limit=1`);
    expect(unencoded.items[0]).toMatchObject({ streamId: stream, streamVersion: 1, type: "AuditStreamProbe", data: { i: 0 } });
  });
});

/** Inserts an event in a transaction that stays open `ms` (it takes a lower position than events committed meanwhile). */
function commitLate(streamId: string, ms: number) {
  return h.deps.sql.begin(async (tx) => {
    await tx`insert into streams (stream_id, version) values (${streamId}, 1)`;
    await tx`insert into events (stream_id, stream_version, type, data, metadata)
             values (${streamId}, 1, 'AuditProbe', ${JSON.stringify({ late: true })}::jsonb, ${JSON.stringify({ source: "system" })}::jsonb)`;
    await Bun.sleep(ms);
  });
}

describe("filters", () => {
  test("type, streamId, accountId (ours or Unipile's) and from/to", async () => {
    // Given: a connected account, two chat facts naming it, one naming another account
    const { accountId, unipileId } = await connectedAccount(`user-${crypto.randomUUID()}`);
    const chat = `unipile-chat:${crypto.randomUUID()}`;
    const type = `AuditChatProbe${crypto.randomUUID().slice(0, 8)}`;
    const [mine1] = await h.deps.eventStore.appendFacts([fact(chat, type, { unipileAccountId: unipileId, n: 1 })]);
    await Bun.sleep(20);
    const [mine2] = await h.deps.eventStore.appendFacts([fact(chat, type, { unipileAccountId: unipileId, n: 2 })]);
    await Bun.sleep(20);
    await h.deps.eventStore.appendFacts([fact(chat, type, { unipileAccountId: "someone-else", n: 3 })]);
    await h.deps.eventStore.appendFacts([fact(chat, "AuditOtherProbe", { unipileAccountId: unipileId, n: 4 })]);
    await logVisible(h.deps.sql);

    // Then: type, repeated or comma-separated
    const byType = await readAllPages(h, `type=${type}`);
    expect(byType.map((e) => (e.data as Json).n)).toEqual([1, 2, 3]);
    expect(positions(await readAllPages(h, `type=${type}&type=AuditOtherProbe`))).toEqual(positions(await readAllPages(h, `type=${type},AuditOtherProbe`)));
    expect(await readAllPages(h, `type=${type},AuditOtherProbe`)).toHaveLength(4);

    // accountId: the account's stream plus every event naming it, whichever id is given
    const expected = await h.deps.sql<{ global_position: number }[]>`
      select global_position from events where stream_id = ${accountStream(unipileId)} or data->>'unipileAccountId' = ${unipileId}
      order by transaction_id, global_position`;
    const byOurId = await readAllPages(h, `accountId=${accountId}`, 2);
    expect(positions(byOurId)).toEqual(expected.map((r) => r.global_position));
    expect(positions(await readAllPages(h, `accountId=${unipileId}`, 3))).toEqual(positions(byOurId));
    expect(byOurId.map((e) => e.type)).toEqual(expect.arrayContaining(["AccountConnectionRequested", "AccountStatusReported", type, "AuditOtherProbe"]));
    expect(byOurId.some((e) => (e.data as Json).unipileAccountId === "someone-else")).toBe(false);

    // streamId, alone and with accountId
    expect((await readAllPages(h, `streamId=${encodeURIComponent(chat)}`)).map((e) => (e.data as Json).n)).toEqual([1, 2, 3, 4]);
    expect((await readAllPages(h, `streamId=${encodeURIComponent(chat)}&accountId=${accountId}`)).map((e) => (e.data as Json).n)).toEqual([1, 2, 4]);
    const ownStream = await readAllPages(h, `streamId=${encodeURIComponent(accountStream(unipileId))}&accountId=${unipileId}`);
    expect(ownStream.every((e) => e.streamId === accountStream(unipileId)) && ownStream.length > 2).toBe(true);

    // from/to on recorded_at, inclusive, to the millisecond an event shows
    const [first, second, third] = byType as [AuditEvent, AuditEvent, AuditEvent];
    expect([first.globalPosition, second.globalPosition]).toEqual([mine1?.globalPosition as number, mine2?.globalPosition as number]);
    expect(positions(await readAllPages(h, `type=${type}&from=${second.recordedAt}`))).toEqual(positions([second, third]));
    expect(positions(await readAllPages(h, `type=${type}&from=${first.recordedAt}&to=${second.recordedAt}`))).toEqual(positions([first, second]));
    expect(positions(await readAllPages(h, `type=${type}&from=${second.recordedAt}&to=${second.recordedAt}`))).toEqual([second.globalPosition]);
    const justBefore = new Date(Date.parse(first.recordedAt) - 1).toISOString();
    expect(await readAllPages(h, `type=${type}&to=${justBefore}`)).toEqual([]);
    const offset = await readAllPages(h, `type=${type}&from=${encodeURIComponent(second.recordedAt.replace("Z", "+00:00"))}`);
    expect(offset).toHaveLength(2);
  });

  test("a filter matching nothing answers an empty page and a cursor to resume from", async () => {
    const page = await auditJson<EventPage>(h, "/api/audit/events?accountId=nobody-at-all");
    expect(page).toEqual({ items: [], nextCursor: null, resumeCursor: expect.any(String) });
    const [added] = await h.deps.eventStore.appendFacts([fact("audit:later", "AuditLate", { unipileAccountId: "nobody-at-all" })]);
    const later = await waitFor(async () => {
      const next = await auditJson<EventPage>(h, `/api/audit/events?accountId=nobody-at-all&after=${page.resumeCursor}`);
      return next.items.length ? next : undefined;
    });
    expect(positions(later.items)).toEqual([added?.globalPosition as number]);
  });
});

describe("bad input is 400, never 500", () => {
  test.each([
    ["limit 0", "/api/audit/events?limit=0"],
    ["limit over 1000", "/api/audit/events?limit=1001"],
    ["limit not a number", "/api/audit/events?limit=many"],
    ["limit twice", "/api/audit/events?limit=1&limit=2"],
    ["a cursor we did not make", "/api/audit/events?after=abc%24"],
    ["a stream cursor on /events", `/api/audit/events?after=${encodeStreamCursor(3)}`],
    ["a transaction id beyond xid8", `/api/audit/events?after=${btoa("l1.99999999999999999999.1").replaceAll("=", "")}`],
    ["from not a time", "/api/audit/events?from=yesterday"],
    ["to without a zone", "/api/audit/events?to=2025-03-15T10:42:07"],
    ["to an impossible date", "/api/audit/events?to=2025-13-45T10:42:07Z"],
    ["an empty type", "/api/audit/events?type=,"],
    ["an export with a bad cursor", "/api/audit/export?after=zzz"],
    ["a stream with a log cursor", `/api/audit/streams/account%3Ax?after=${btoa("l1.1.1").replaceAll("=", "")}`],
    ["a stream page of 5000", "/api/audit/streams/account%3Ax?limit=5000"],
    ["a state at no kind of point", `/api/audit/accounts/${crypto.randomUUID()}/state?at=last-tuesday`],
    ["a state at a negative position", `/api/audit/accounts/${crypto.randomUUID()}/state?at=-1`],
    ["a NUL in a stream id", "/api/audit/streams/account%3Aa%00b"],
    ["a NUL in a filter", "/api/audit/events?accountId=a%00b"],
    ["a NUL in an event type", "/api/audit/export?type=A%00"],
    ["a NUL in an account id", "/api/audit/accounts/a%00b/state"],
    ["a state at a position beyond 2^53", `/api/audit/accounts/${crypto.randomUUID()}/state?at=99999999999999999999`],
  ])("%s", async (_, path) => {
    const response = await h.request(path, AUDITOR);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ ...errorShape("VALIDATION_FAILED"), details: expect.any(Array) });
  });

  test("an unknown stream or account is 404", async () => {
    const stream = await h.request(`/api/audit/streams/${encodeURIComponent("account:never-seen")}`, AUDITOR);
    expect([stream.status, ((await stream.json()) as Json).code]).toEqual([404, "NOT_FOUND"]);
    const account = await h.request(`/api/audit/accounts/${crypto.randomUUID()}/state`, AUDITOR);
    expect([account.status, ((await account.json()) as Json).code]).toEqual([404, "ACCOUNT_NOT_FOUND"]);
  });
});
