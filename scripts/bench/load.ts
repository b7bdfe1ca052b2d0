/**
 * The benchmark's load generator, a process apart from the service:
 *   bun scripts/bench/load.ts ingest-reference <world.json> --count 20000 --concurrency 32 --now <ms>
 *   bun scripts/bench/load.ts ingest-service   <world.json> --count 20000 --concurrency 32 --now <ms>
 *   bun scripts/bench/load.ts ingest-receiver  <world.json> --url http://127.0.0.1:<port> --count 20000 --concurrency 32 --now <ms>
 *   bun scripts/bench/load.ts lag     <world.json> --rate 1000 --seconds 20 --sample 10
 *   bun scripts/bench/load.ts queries <world.json> --requests 1000 --max-seconds 30 --deep 50000 --big-chat=<id> --message-deep 5000
 * Talks HTTP to the service (and, for the ingest reference, Postgres). Prints
 * its measurements as one JSON line on stdout.
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { conversationIdFor } from "../../src/unipile/ingest/ids";
import { encodeCursor } from "../../src/conversations/views";
import { benchId, benchProviderMessageId, benchText, messageReceivedBody } from "./bodies";
import { type BenchWorld, emitResult, lanes, readWorld, sleep, summarize } from "./common";
import { answerHelp } from "../../src/platform/help";

answerHelp(`usage: bun scripts/bench/load.ts <ingest-reference|ingest-receiver|ingest-service|lag|queries> <world.json> [options]

A child process of \`bun run bench\`: drives one load phase against the world the bench started.
Options: --count --concurrency --warmup --rate --seconds --sample --requests --deep --big-chat
--message-deep --max-seconds --run --now --url`);

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    count: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    warmup: { type: "string", default: "500" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "20" },
    sample: { type: "string", default: "10" },
    requests: { type: "string", default: "1000" },
    deep: { type: "string", default: "50000" },
    "big-chat": { type: "string" },
    "message-deep": { type: "string", default: "5000" },
    "max-seconds": { type: "string", default: "30" },
    run: { type: "string", default: "bench" },
    now: { type: "string" },
    url: { type: "string" },
  },
});
const [mode, worldPath] = positionals;
if (!mode || !worldPath) {
  console.error("usage: bun scripts/bench/load.ts <ingest-reference|ingest-receiver|ingest-service|lag|queries> <world.json> [options]");
  process.exit(2);
}
const world = readWorld(worldPath);
const num = (key: keyof typeof values) => Number(values[key]);

/** Distinct message_received bodies spread round-robin over the world's chats, as JSON text. */
function makeBodies(world: BenchWorld, prefix: string, count: number, startMs: number, stepMs: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const chat = world.chats[i % world.chats.length];
    if (!chat) throw new Error("no chats");
    bodies.push(
      JSON.stringify(
        messageReceivedBody(chat, {
          messageId: benchId(`${prefix}:${i}`),
          providerMessageId: benchProviderMessageId(`${prefix}:${i}`),
          timestamp: new Date(startMs + i * stepMs).toISOString(),
          text: benchText(i),
          isSender: i % 3 === 2,
        }),
      ),
    );
  }
  return bodies;
}

const webhookHeaders = { "content-type": "application/json", "unipile-auth": world.webhookSecret };
const apiHeaders = { authorization: `Bearer ${world.token}` };

async function postWebhook(body: string, baseUrl = world.serviceUrl): Promise<number> {
  const response = await fetch(`${baseUrl}/api/unipile/webhook`, { method: "POST", headers: webhookHeaders, body });
  await response.arrayBuffer();
  return response.status;
}

/** Closed loop: `bodies` through `send` on `concurrency` lanes; latency of each. */
async function closedLoop(bodies: string[], concurrency: number, send: (body: string) => Promise<boolean>) {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await lanes(
    concurrency,
    () => (next < bodies.length ? bodies[next++] : undefined),
    async (body) => {
      const t0 = performance.now();
      const ok = await send(body).catch(() => false);
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return { ...summarize(latencies), accepted: latencies.length, errors, seconds, perSecond: latencies.length / seconds };
}

/** The ingest bodies: warm-up bodies first (not measured), then the measured ones; the same for both sides. */
function ingestBodies() {
  const count = num("count");
  const warmup = num("warmup");
  // The run's start time comes from the orchestrator so that both sides send identical bodies.
  const now = Number(values.now ?? Date.now());
  return {
    warm: makeBodies(world, `${values.run}:warm`, warmup, now - 3_600_000, 1),
    bodies: makeBodies(world, `${values.run}:ingest`, count, now - 600_000, 10),
  };
}

/** The reference: each payload one INSERT (one commit, one WAL flush) into a plain table. */
async function ingestReference() {
  const concurrency = num("concurrency");
  const { warm, bodies } = ingestBodies();
  const sql = postgres(world.databaseUrl, { max: concurrency, onnotice: () => undefined });
  await sql`create table if not exists bench_ref (id bigserial primary key, body jsonb not null)`;
  const insert = async (body: string) => {
    await sql`insert into bench_ref (body) values (${body}::jsonb)`;
    return true;
  };
  await closedLoop(warm, concurrency, insert);
  const result = await closedLoop(bodies, concurrency, insert);
  const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from bench_ref`;
  await sql.end({ timeout: 5 });
  emitResult({ ...result, rows: stored?.n ?? 0, bodyBytes: bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0) / bodies.length });
}

/** Resolves once every projection of the service has applied the whole log (polls GET /ready). */
async function caughtUp() {
  for (;;) {
    const response = await fetch(`${world.serviceUrl}/ready`).catch(() => null);
    const body = response ? ((await response.json().catch(() => null)) as { projections?: { lagEvents: number }[] } | null) : null;
    if (body?.projections && body.projections.length > 0 && body.projections.every((p) => p.lagEvents === 0)) return;
    await sleep(5);
  }
}

/**
 * The same payloads as webhooks, each answered only once durably in the log;
 * then the time until the projections have applied the last one ("caught up").
 */
async function ingestService() {
  const concurrency = num("concurrency");
  const { warm, bodies } = ingestBodies();
  const send = async (body: string) => (await postWebhook(body)) === 200;
  await closedLoop(warm, concurrency, send);
  await caughtUp();
  const started = performance.now();
  const result = await closedLoop(bodies, concurrency, send);
  await caughtUp();
  const caughtUpSeconds = (performance.now() - started) / 1000;
  emitResult({ ...result, caughtUpSeconds, caughtUpPerSecond: result.accepted / caughtUpSeconds });
}

/** The same payloads to the minimal receiver (scripts/bench/receiver.ts): one INSERT per request. */
async function ingestReceiver() {
  const concurrency = num("concurrency");
  const url = values.url;
  if (!url) throw new Error("--url is required");
  const { warm, bodies } = ingestBodies();
  const send = async (body: string) => (await postWebhook(body, url)) === 200;
  await closedLoop(warm, concurrency, send);
  emitResult(await closedLoop(bodies, concurrency, send));
}

async function lag() {
  const rate = num("rate");
  const seconds = num("seconds");
  const sampleEvery = num("sample");
  const total = Math.round(rate * seconds);
  const bodies = makeBodies(world, `${values.run}:lag`, total, Date.now(), 1);
  const ids = bodies.map((b) => JSON.parse(b) as { message_id: string; chat_id: string });
  const webhookLatencies: number[] = [];
  const lags: number[] = [];
  const lateStarts: number[] = [];
  let errors = 0;
  let notVisible = 0;
  const inFlight: Promise<void>[] = [];

  const visible = async (chatId: string, messageId: string) => {
    const url = `${world.serviceUrl}/api/conversations/${conversationIdFor(chatId)}/messages?limit=5`;
    const response = await fetch(url, { headers: apiHeaders });
    if (response.status !== 200) {
      await response.arrayBuffer();
      return false;
    }
    const page = (await response.json()) as { items: { unipileMessageId: string | null }[] };
    return page.items.some((m) => m.unipileMessageId === messageId);
  };

  const fire = async (i: number, due: number) => {
    const body = bodies[i] as string;
    const status = await postWebhook(body).catch(() => 0);
    const acked = performance.now();
    if (status !== 200) {
      errors++;
      return;
    }
    // From the scheduled time, so a slow service cannot hide its queue (no coordinated omission).
    webhookLatencies.push(acked - due);
    if (i % sampleEvery !== 0) return;
    const { chat_id, message_id } = ids[i] as { chat_id: string; message_id: string };
    const deadline = acked + 10_000;
    while (performance.now() < deadline) {
      if (await visible(chat_id, message_id).catch(() => false)) {
        lags.push(performance.now() - acked);
        return;
      }
      await sleep(2);
    }
    notVisible++;
  };

  const interval = 1000 / rate;
  const started = performance.now() + 50;
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Open loop: every request due by now goes, whatever the ones before it are doing.
    while (i < total && started + i * interval <= now) {
      const due = started + i * interval;
      lateStarts.push(now - due);
      inFlight.push(fire(i, due));
      i++;
    }
    if (i < total) await sleep(Math.max(0, started + i * interval - performance.now()));
  }
  const sentSeconds = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  emitResult({
    rate,
    seconds,
    total,
    achievedRate: total / sentSeconds,
    sampleEvery,
    errors,
    notVisible,
    lag: summarize(lags),
    webhook: summarize(webhookLatencies),
    scheduleDelay: summarize(lateStarts),
  });
}

async function queries() {
  const requests = num("requests");
  const maxSeconds = num("max-seconds");
  const deep = num("deep");
  const messageDeep = num("message-deep");
  const bigChat = values["big-chat"];
  if (!bigChat) throw new Error("--big-chat is required");
  const bigConversation = conversationIdFor(bigChat);

  const get = async (path: string) => {
    const response = await fetch(`${world.serviceUrl}${path}`, { headers: apiHeaders });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { items: unknown[]; nextCursor: string | null };
  };

  // The deep cursors are made as the API makes them (encodeCursor) from the row at that depth, read
  // here with OFFSET once: walking 250 pages through a slow API would take the run hostage.
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
  const conversationCursor = encodeCursor(conversationRow);
  const messageCursor = encodeCursor(messageRow);
  // The API's own cursor at the end of a page must lead on (a sanity check of the paging).
  const pageSize = Math.max(1, Math.min(200, Math.floor(deep / 2)));
  const firstPage = await get(`/api/conversations?limit=${pageSize}`);
  if (!firstPage.nextCursor || (await get(`/api/conversations?limit=${pageSize}&cursor=${firstPage.nextCursor}`)).items.length === 0) {
    throw new Error("conversation paging does not go on past the first page");
  }

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

switch (mode) {
  case "ingest-reference":
    await ingestReference();
    break;
  case "ingest-service":
    await ingestService();
    break;
  case "ingest-receiver":
    await ingestReceiver();
    break;
  case "lag":
    await lag();
    break;
  case "queries":
    await queries();
    break;
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
process.exit(0);
