/**
 * The benchmark's minimal webhook receiver, the reference the service's ingest
 * is measured against: what a hand-written route would do, and no more.
 *   bun scripts/bench/receiver.ts <database url> <port> <pool size>   (UNIPILE_WEBHOOK_SECRET in the environment)
 * Hono on Bun; the `Unipile-Auth` secret checked; the body `JSON.parse`d; one
 * INSERT of it per request (one commit each) into a plain jsonb table; 200
 * once it is committed. No dedupe, no log order, no projection. Prints
 * `ready` once it listens.
 */
import { Hono } from "hono";
import postgres from "postgres";
import { answerHelp } from "../../src/platform/help";

answerHelp(`usage: UNIPILE_WEBHOOK_SECRET=… bun scripts/bench/receiver.ts <database url> <port> [pool size]

A child process of \`bun run bench\`: the minimal webhook receiver the service's ingest is compared with.`);

const [url, portText, poolText] = process.argv.slice(2);
const secret = process.env.UNIPILE_WEBHOOK_SECRET ?? "";
if (!url || !portText || !secret) {
  console.error("usage: UNIPILE_WEBHOOK_SECRET=… bun scripts/bench/receiver.ts <database url> <port> [pool size]");
  process.exit(2);
}
const sql = postgres(url, { max: Number(poolText ?? 32), onnotice: () => undefined });
await sql`create table if not exists bench_receiver (id bigserial primary key, body jsonb not null)`;

const app = new Hono();
app.post("/api/unipile/webhook", async (c) => {
  if (c.req.header("unipile-auth") !== secret) return c.json({ error: "unauthenticated" }, 401);
  const text = await c.req.text();
  try {
    JSON.parse(text);
  } catch {
    return c.json({ error: "not JSON" }, 400);
  }
  await sql`insert into bench_receiver (body) values (${text}::jsonb)`;
  return c.json({ received: true }, 200);
});

Bun.serve({ hostname: "127.0.0.1", port: Number(portText), fetch: app.fetch });
const stop = async () => {
  await sql.end({ timeout: 5 }).catch(() => undefined);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
process.stdout.write("ready\n");
