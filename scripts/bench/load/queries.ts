/**
 * The queries part's load: sequential GETs of the conversation list and of
 * the big conversation's messages, each on its first page and after a deep
 * cursor.
 */
import postgres from "postgres";
import { conversationIdFor } from "../../../src/unipile/ingest/ids";
import { encodeCursor } from "../../../src/conversations/views";
import { type BenchWorld, emitResult, summarize } from "../common";

export interface QueryOptions {
  requests: number;
  maxSeconds: number;
  deep: number;
  messageDeep: number;
  bigChat: string | undefined;
}

type Get = (path: string) => Promise<{ items: unknown[]; nextCursor: string | null }>;

/**
 * The deep cursors, made as the API makes them (encodeCursor) from the row at that depth, read
 * here with OFFSET once: walking 250 pages through a slow API would take the run hostage.
 */
async function deepCursors(world: BenchWorld, deep: number, messageDeep: number, bigConversation: string) {
  const sql = postgres(world.databaseUrl, { max: 1, onnotice: () => undefined });
  const [conversationRow] = await sql<{ at: Date; id: string }[]>`
    select last_activity_at as at, id from conversations where user_id = ${world.userId}
    order by last_activity_at desc, id desc offset ${deep - 1} limit 1
  `;
  const [messageRow] = await sql<{ at: Date; id: string }[]>`
    select sent_at as at, id from messages where conversation_id = ${bigConversation} and arrived
    order by sent_at desc, id desc offset ${messageDeep - 1} limit 1
  `;
  await sql.end({ timeout: 5 });
  if (!conversationRow || !messageRow) throw new Error("not enough conversations or messages for the deep cursors");
  return { conversationCursor: encodeCursor(conversationRow), messageCursor: encodeCursor(messageRow) };
}

/** The API's own cursor at the end of a page must lead on (a sanity check of the paging). */
async function checkPaging(get: Get, deep: number) {
  const pageSize = Math.max(1, Math.min(200, Math.floor(deep / 2)));
  const firstPage = await get(`/api/conversations?limit=${pageSize}`);
  if (!firstPage.nextCursor || (await get(`/api/conversations?limit=${pageSize}&cursor=${firstPage.nextCursor}`)).items.length === 0) {
    throw new Error("conversation paging does not go on past the first page");
  }
}

export async function queries(world: BenchWorld, { requests, maxSeconds, deep, messageDeep, bigChat }: QueryOptions) {
  if (!bigChat) throw new Error("--big-chat is required");
  const bigConversation = conversationIdFor(bigChat);
  const get: Get = async (path) => {
    const response = await fetch(`${world.serviceUrl}${path}`, { headers: { authorization: `Bearer ${world.token}` } });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { items: unknown[]; nextCursor: string | null };
  };
  const { conversationCursor, messageCursor } = await deepCursors(world, deep, messageDeep, bigConversation);
  await checkPaging(get, deep);

  /** Sequential requests: `requests` of them, or fewer when `maxSeconds` run out first. */
  const measure = async (path: string, expectItems: number) => {
    const deadline = performance.now() + maxSeconds * 1000;
    for (let i = 0; i < Math.min(20, requests) && performance.now() < deadline; i++) await get(path);
    const latencies: number[] = [];
    while (latencies.length < requests && (latencies.length < 5 || performance.now() < deadline)) {
      const t0 = performance.now();
      const page = await get(path);
      latencies.push(performance.now() - t0);
      if (page.items.length !== expectItems) throw new Error(`${path}: ${page.items.length} items, expected ${expectItems}`);
    }
    return summarize(latencies);
  };

  emitResult({
    requests,
    deep,
    messageDeep,
    conversationsFirst: await measure("/api/conversations", 50),
    conversationsDeep: await measure(`/api/conversations?cursor=${conversationCursor}`, 50),
    messagesFirst: await measure(`/api/conversations/${bigConversation}/messages`, 50),
    messagesDeep: await measure(`/api/conversations/${bigConversation}/messages?cursor=${messageCursor}`, 50),
  });
}
