/**
 * Fills the log for the replay and query parts of the benchmark:
 *   bun scripts/bench/generate.ts <world.json> --events 1000000 --conversations 100000 --big 10000
 * Writes `--events` message_received facts straight into `events` with COPY
 * (setup, not measured). Each fact is shaped by the webhook route's own code
 * (`classifyWebhookBody` → `translateWebhook`, dedupe key, metadata), on the
 * streams of `--conversations` chats of the world's accounts (so the
 * messaging projection gives them to the world's user). One chat, the "big"
 * one, gets `--big` messages spread through the log; the others share the
 * rest round-robin. Message times advance through the past year in log order.
 * Prints `{bigChatId, events, conversations, seconds}`.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { classifyWebhookBody } from "../../src/unipile/payloads";
import { translateWebhook } from "../../src/unipile/ingest/webhook-facts";
import { benchId, benchProviderMessageId, benchText, messageReceivedBody } from "./bodies";
import { type BenchChat, emitResult, readWorld } from "./common";
import { answerHelp } from "../../src/platform/help";

answerHelp(`usage: bun scripts/bench/generate.ts <world.json> [--events N] [--conversations N] [--big N] [--copy-batch N] [--run NAME]

A child process of \`bun run bench\`: writes a synthetic event history into the world's database.`);

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    events: { type: "string", default: "1000000" },
    conversations: { type: "string", default: "100000" },
    big: { type: "string", default: "10000" },
    "copy-batch": { type: "string", default: "50000" },
    run: { type: "string", default: "bench" },
  },
});
const worldPath = positionals[0];
if (!worldPath) {
  console.error("usage: bun scripts/bench/generate.ts <world.json> [--events N] [--conversations N] [--big N]");
  process.exit(2);
}
const world = readWorld(worldPath);
const total = Number(values.events);
const conversationCount = Number(values.conversations);
const big = Math.min(Number(values.big), total);
const copyBatch = Number(values["copy-batch"]);
if (conversationCount < 2 || total < conversationCount) throw new Error("need at least 2 conversations and one event per conversation");

const FIRST = ["Marie", "Lucas", "Chloé", "Hugo", "Léa", "Louis", "Emma", "Jules", "Inès", "Nathan", "Sofia", "Adam"];
const LAST = ["Dupont", "Martin", "Bernard", "Petit", "Robert", "Richard", "Durand", "Moreau", "Laurent", "Simon"];

function chat(n: number): BenchChat {
  const account = world.accounts[n % world.accounts.length];
  if (!account) throw new Error("no accounts");
  const phone = `336${String(10_000_000 + n).slice(-8)}`;
  const isGroup = n % 5 === 4;
  return {
    unipileAccountId: account.unipileAccountId,
    accountPhone: account.phone,
    chatId: benchId(`${values.run}:chat:${n}`),
    providerChatId: isGroup ? `1203630${String(n).padStart(11, "0")}@g.us` : `${phone}@s.whatsapp.net`,
    isGroup,
    subject: isGroup ? `Groupe ${n}` : null,
    contact: { attendeeId: benchId(`${values.run}:contact:${n}`), name: `${FIRST[n % FIRST.length]} ${LAST[Math.floor(n / FIRST.length) % LAST.length]}`, phone },
  };
}

const chats = Array.from({ length: conversationCount }, (_, n) => chat(n));
const bigEvery = big > 0 ? Math.max(1, Math.floor(total / big)) : Number.POSITIVE_INFINITY;
const yearMs = 365 * 24 * 3600 * 1000;
const startMs = Date.now() - yearMs - 3_600_000;
const stepMs = yearMs / total;
const versions = new Map<string, number>();

/** COPY text format: backslashes doubled (JSON escapes every control character itself). */
const copyText = (value: string) => value.replaceAll("\\", "\\\\");

let made = 0;
let bigMade = 0;
let other = 0;
function line(j: number): string {
  const isBig = bigMade < big && j % bigEvery === 0;
  const c = isBig ? (chats[0] as BenchChat) : (chats[1 + (other++ % (conversationCount - 1))] as BenchChat);
  if (isBig) bigMade++;
  const body = messageReceivedBody(c, {
    messageId: benchId(`${values.run}:gen:${j}`),
    providerMessageId: benchProviderMessageId(`${values.run}:gen:${j}`),
    timestamp: new Date(startMs + j * stepMs).toISOString(),
    text: benchText(j),
    isSender: j % 3 === 2,
  });
  const fact = translateWebhook(classifyWebhookBody(body), body);
  if (fact.kind !== "fact" || !fact.dedupeKey) throw new Error("generated body did not translate to a keyed fact");
  const version = (versions.get(fact.streamId) ?? 0) + 1;
  versions.set(fact.streamId, version);
  const metadata = { source: "webhook", actor: "unipile", requestId: crypto.randomUUID(), receivedAt: body.timestamp };
  made++;
  return `${fact.streamId}\t${version}\t${fact.type}\t1\t${copyText(JSON.stringify(fact.data))}\t${copyText(JSON.stringify(metadata))}\t${fact.dedupeKey}\n`;
}

function* rows(from: number, to: number): Generator<string> {
  for (let j = from; j < to; ) {
    let chunk = "";
    for (const end = Math.min(to, j + 500); j < end; j++) chunk += line(j);
    yield chunk;
  }
}

const sql = postgres(world.databaseUrl, { max: 1, onnotice: () => undefined });
const started = performance.now();
for (let from = 0; from < total; from += copyBatch) {
  const to = Math.min(total, from + copyBatch);
  const copy = await sql`copy events (stream_id, stream_version, type, schema_version, data, metadata, dedupe_key) from stdin`.writable();
  await pipeline(Readable.from(rows(from, to)), copy);
  if (process.stderr.isTTY) process.stderr.write(`\rgenerated ${to} / ${total} events   `);
}
if (process.stderr.isTTY) process.stderr.write("\n");
const streamIds = [...versions.keys()];
const streamVersions = streamIds.map((s) => versions.get(s) as number);
await sql`
  insert into streams (stream_id, version)
  select * from unnest(${streamIds}::text[], ${streamVersions}::bigint[])
  on conflict (stream_id) do update set version = greatest(streams.version, excluded.version)
`;
await sql`analyze events`;
await sql`analyze streams`;
await sql.end({ timeout: 5 });
emitResult({ bigChatId: (chats[0] as BenchChat).chatId, bigMessages: bigMade, events: made, conversations: conversationCount, seconds: (performance.now() - started) / 1000 });
process.exit(0);
