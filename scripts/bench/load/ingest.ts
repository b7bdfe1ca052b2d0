/**
 * The ingest part's load, closed loop at a fixed concurrency, the same bodies
 * on every side: the raw INSERT reference, the minimal receiver, the service
 * (until caught up).
 */
import postgres from "postgres";
import { type BenchWorld, emitResult, lanes, sleep, summarize } from "../common";
import { makeBodies, postWebhook } from "./webhooks";

export interface IngestOptions {
  count: number;
  warmup: number;
  concurrency: number;
  /** The run's id, in every message id. */
  run: string;
  /** The run's start time from the orchestrator (ms), or now. */
  now: number | undefined;
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
function ingestBodies(world: BenchWorld, options: IngestOptions) {
  // The run's start time comes from the orchestrator so that both sides send identical bodies.
  const now = Number(options.now ?? Date.now());
  return {
    warm: makeBodies(world, `${options.run}:warm`, options.warmup, now - 3_600_000, 1),
    bodies: makeBodies(world, `${options.run}:ingest`, options.count, now - 600_000, 10),
  };
}

/** The reference: each payload one INSERT (one commit, one WAL flush) into a plain table. */
export async function ingestReference(world: BenchWorld, options: IngestOptions) {
  const { concurrency } = options;
  const { warm, bodies } = ingestBodies(world, options);
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
async function caughtUp(world: BenchWorld) {
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
export async function ingestService(world: BenchWorld, options: IngestOptions) {
  const { concurrency } = options;
  const { warm, bodies } = ingestBodies(world, options);
  const send = async (body: string) => (await postWebhook(world, body)) === 200;
  await closedLoop(warm, concurrency, send);
  await caughtUp(world);
  const started = performance.now();
  const result = await closedLoop(bodies, concurrency, send);
  await caughtUp(world);
  const caughtUpSeconds = (performance.now() - started) / 1000;
  emitResult({ ...result, caughtUpSeconds, caughtUpPerSecond: result.accepted / caughtUpSeconds });
}

/** The same payloads to the minimal receiver (scripts/bench/receiver.ts): one INSERT per request. */
export async function ingestReceiver(world: BenchWorld, options: IngestOptions, url: string | undefined) {
  const { concurrency } = options;
  if (!url) throw new Error("--url is required");
  const { warm, bodies } = ingestBodies(world, options);
  const send = async (body: string) => (await postWebhook(world, body, url)) === 200;
  await closedLoop(warm, concurrency, send);
  emitResult(await closedLoop(bodies, concurrency, send));
}
