/**
 * Sync test support: accounts linked through the real routes (with history
 * seeded by the sandbox when asked), the sync routes, and reads of the log
 * that say how each message arrived.
 */
import { expect } from "bun:test";
import type { Queryable } from "../../src/db/client";
import { waitFor } from "../sandbox/support";
import type { Harness } from "../support/harness";
import { type ConnectedAccount, type Json, newPhone, newUser } from "../messaging/support";

export interface SyncResult extends Json {
  accountId: string;
  outcome: string;
  found: { trigger: string; messagesNew: number; messagesSeen: number; newMessageIds: string[]; recorded: boolean; position: string | null } | null;
  backfill: { state: string; chatsDone: number; messagesSeen: number } | null;
  retryAt: string | null;
  account: { sync: AccountSync; status: string };
}

export interface AccountSync {
  state: string;
  backfill: { state: string; reason: string; chatsDone: number; messagesSeen: number; messagesImported: number } | null;
  position: string | null;
  lastTrigger: string | null;
  messagesImported: number;
  gapSince: string | null;
}

/** Links an account for a new user (QR route + sandbox scan, with history when asked) and waits until it is connected. */
export async function linkAccount(
  h: Harness,
  options: { history?: { chats: number; messages_per_chat: number }; userId?: string } = {},
): Promise<ConnectedAccount> {
  const userId = options.userId ?? newUser();
  const phone = newPhone();
  const response = await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: userId });
  expect(response.status).toBe(200);
  const connection = (await response.json()) as { accountId: string; accountIdentifier: string };
  await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, {
    phone_number: phone,
    name: "Acme Support",
    ...(options.history ? { history: options.history } : {}),
  });
  // Connected, and Unipile's SYNC_SUCCESS is in (the sandbox sends it on every scan): the first import is the only one.
  await waitFor(async () => {
    const linked = await account(h, userId, connection.accountId);
    return linked.status === "connected" && linked.lastSync !== null;
  }, 10000);
  return { userId, accountId: connection.accountId, unipileAccountId: connection.accountIdentifier, phone };
}

export async function account(h: Harness, userId: string, accountId: string): Promise<{ status: string; sync: AccountSync } & Json> {
  const response = await h.request(`/api/unipile/account?accountId=${accountId}`, { as: userId });
  return ((await response.json()) as { account: { status: string; sync: AccountSync } & Json }).account;
}

export async function syncNow(h: Harness, userId: string, accountId?: string): Promise<SyncResult[]> {
  const response = await h.request("/api/unipile/sync", { method: "POST", as: userId, ...(accountId ? { json: { accountId } } : {}) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { results: SyncResult[] }).results;
}

export const incoming = (h: Harness, unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);

/** How each of these Unipile messages is in the log: the events keyed by its arrival, with the path that brought it. */
export async function arrivals(sql: Queryable, unipileMessageIds: readonly string[]) {
  const rows = await sql<{ message_id: string; type: string; via: string | null; source: string }[]>`
    select substr(dedupe_key, length('unipile-message:') + 1) as message_id, type, data->>'via' as via, metadata->>'source' as source
    from events where dedupe_key = any(${unipileMessageIds.map((id) => `unipile-message:${id}`)})
  `;
  return [...rows];
}

/** Every message fact of an account the sync stored (`UnipileMessageObserved` by poll or backfill). */
export async function observedByAccount(sql: Queryable, unipileAccountId: string) {
  return [
    ...(await sql<{ message_id: string; via: string; sync_run_id: string | null }[]>`
    select data->'message'->>'id' as message_id, data->>'via' as via, metadata->>'syncRunId' as sync_run_id
    from events where type = 'UnipileMessageObserved' and data->>'unipileAccountId' = ${unipileAccountId}
  `),
  ];
}

export async function syncEvents(sql: Queryable, streamId: string) {
  return [
    ...(await sql<{ type: string; data: Json; dedupe_key: string | null; stream_version: number }[]>`
      select type, data, dedupe_key, stream_version from events where stream_id = ${streamId} order by stream_version
    `),
  ];
}
