/**
 * The lag part's load: webhooks on an open-loop schedule at `rate`/s; every
 * `sampleEvery`th message is read back through the API from its 2xx until it
 * shows (at most 10 s).
 */
import { conversationIdFor } from "../../../src/unipile/ingest/ids";
import { type BenchWorld, emitResult, sleep, summarize } from "../common";
import { makeBodies, postWebhook } from "./webhooks";

export interface LagOptions {
  rate: number;
  seconds: number;
  sampleEvery: number;
  run: string;
}

/** True once the conversation's latest messages hold `messageId`. */
async function visible(world: BenchWorld, chatId: string, messageId: string) {
  const url = `${world.serviceUrl}/api/conversations/${conversationIdFor(chatId)}/messages?limit=5`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${world.token}` } });
  if (response.status !== 200) {
    await response.arrayBuffer();
    return false;
  }
  const page = (await response.json()) as { items: { unipileMessageId: string | null }[] };
  return page.items.some((m) => m.unipileMessageId === messageId);
}

/** The figures one lag run gathers. */
class LagRun {
  readonly webhookLatencies: number[] = [];
  readonly lags: number[] = [];
  readonly lateStarts: number[] = [];
  errors = 0;
  notVisible = 0;
  /** Each body's chat and message ids, parsed before the schedule starts. */
  private readonly ids: { message_id: string; chat_id: string }[];

  constructor(
    private readonly world: BenchWorld,
    private readonly bodies: string[],
    private readonly sampleEvery: number,
  ) {
    this.ids = bodies.map((b) => JSON.parse(b) as { message_id: string; chat_id: string });
  }

  /** Sends webhook `i`, due at `due`; reads a sampled one back until it shows. */
  async fire(i: number, due: number) {
    const body = this.bodies[i] as string;
    const status = await postWebhook(this.world, body).catch(() => 0);
    const acked = performance.now();
    if (status !== 200) {
      this.errors++;
      return;
    }
    // From the scheduled time, so a slow service cannot hide its queue (no coordinated omission).
    this.webhookLatencies.push(acked - due);
    if (i % this.sampleEvery !== 0) return;
    const { chat_id, message_id } = this.ids[i] as { message_id: string; chat_id: string };
    const deadline = acked + 10_000;
    while (performance.now() < deadline) {
      if (await visible(this.world, chat_id, message_id).catch(() => false)) {
        this.lags.push(performance.now() - acked);
        return;
      }
      await sleep(2);
    }
    this.notVisible++;
  }
}

export async function lag(world: BenchWorld, { rate, seconds, sampleEvery, run }: LagOptions) {
  const total = Math.round(rate * seconds);
  const bodies = makeBodies(world, `${run}:lag`, total, Date.now(), 1);
  const lagRun = new LagRun(world, bodies, sampleEvery);
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / rate;
  const started = performance.now() + 50;
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Open loop: every request due by now goes, whatever the ones before it are doing.
    while (i < total && started + i * interval <= now) {
      const due = started + i * interval;
      lagRun.lateStarts.push(now - due);
      inFlight.push(lagRun.fire(i, due));
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
    errors: lagRun.errors,
    notVisible: lagRun.notVisible,
    lag: summarize(lagRun.lags),
    webhook: summarize(lagRun.webhookLatencies),
    scheduleDelay: summarize(lagRun.lateStarts),
  });
}
