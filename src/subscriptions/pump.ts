/**
 * @module subscriptions/pump
 * One subscription's pump: reads the feed after the checkpoint into the queue,
 * then sends the oldest queued event of each conversation, at most N at once
 * (one at a time while the subscription is failing), until the worker stops
 * or loses the lease.
 */
import { FEED_EVENT_TYPES, HISTORY_IMPORT_EVENT_TYPES, projectedPosition, readFeed } from "../live";
import { wantsTopic } from "./events";
import { nextDelayMs, retryAfterMs, verdictAfterFailure } from "./policy";
import { getSubscription } from "./queries";
import { sendWebhook } from "./send";
import { type DeliveryState, enqueue, type PendingEvent, pendingCount, queueHeads, readState, recordDelivered, recordFailed, validSecrets } from "./store";
import type { SubscriptionRow } from "./subscription-evolve";
import { payloadOf, topicOf } from "./topics";
import type { WorkerDeps } from "./worker";

const QUEUE_CAP = 1000;
const READ_LIMIT = 500;
const TYPES = [...FEED_EVENT_TYPES, ...HISTORY_IMPORT_EVENT_TYPES];

/** What the worker holds of a running pump. */
export interface PumpHandle {
  wake: () => void;
  logMoved: () => void;
  done: Promise<void>;
}

/** What pumps share with their worker: the deps, the pumps by subscription, the leases held, and whether it runs. */
export interface WorkerState {
  deps: WorkerDeps;
  pumps: Map<string, PumpHandle>;
  held: Set<string>;
  running: boolean;
}

interface Pump {
  id: string;
  worker: WorkerState;
  handle: PumpHandle;
  /** Ends the current sleep early. */
  wakeSleep: () => void;
  dirty: boolean;
  /** Whether the log may hold events not read yet (a delivery settling does not move it). */
  unread: boolean;
  /** Deliveries settled so far: what was read before one settled may be stale (already sent, or now waiting). */
  settled: number;
  inFlight: Map<string, Promise<void>>;
}

/** Reads what the log has for the subscription into its queue; true when it reached the projected end. */
async function fill(deps: WorkerDeps, sub: SubscriptionRow, state: DeliveryState): Promise<boolean> {
  const { sql } = deps;
  const upTo = await projectedPosition(sql, deps.projections);
  if (!upTo) return true;
  const page = await readFeed(sql, {
    userId: sub.userId,
    after: state.checkpoint,
    upTo,
    limit: READ_LIMIT,
    types: TYPES,
    accept: (_event, account) => sub.accountIds === null || sub.accountIds.includes(account),
  });
  const events: PendingEvent[] = page.items
    .filter((item) => wantsTopic(sub.events, topicOf(item)))
    .map((item) => {
      const payload = payloadOf(item);
      const [transactionId, pos] = item.id.split("-") as [string, string];
      return { eventId: payload.id, position: { transactionId, globalPosition: Number(pos) }, orderKey: item.orderKey, topic: payload.type, payload, attempts: 0 };
    });
  const moved = page.position.transactionId !== state.checkpoint.transactionId || page.position.globalPosition !== state.checkpoint.globalPosition;
  if (moved && !(await enqueue(sql, sub.id, state.checkpoint, page.position, events))) return false;
  return page.caughtUp;
}

async function deliver(deps: WorkerDeps, sub: SubscriptionRow, event: PendingEvent, secrets: readonly string[]) {
  const { sql, settings } = deps;
  const result = await sendWebhook({
    url: sub.url,
    eventId: event.eventId,
    body: JSON.stringify(event.payload),
    secrets,
    timeoutMs: settings.timeoutMs,
    allowPrivate: settings.allowPrivate,
    now: () => new Date(),
  });
  if (result.ok) {
    await recordDelivered(sql, sub.id, event, result, deps.replica);
    return;
  }
  const state = await readState(sql, sub.id);
  const failures = (state?.failures ?? 0) + 1;
  const delayMs = nextDelayMs(failures, retryAfterMs(result.retryAfter, new Date()), settings.retry, Math.random());
  const recorded = await recordFailed(sql, sub.id, event, result, { replica: deps.replica, delayMs });
  const verdict = verdictAfterFailure({ statusCode: result.statusCode, failures: recorded.failures, failingSince: recorded.failingSince, now: new Date() }, settings.retry);
  if (verdict.disable) {
    deps.logger.warn({ subscriptionId: sub.id, reason: verdict.reason }, "subscription disabled");
    await deps.service.disable(sub.id, { reason: verdict.reason, failures: recorded.failures, lastError: result.error });
  }
}

function sleep(pump: Pump, ms: number) {
  return new Promise<void>((resolve) => {
    if (pump.dirty) return resolve();
    const t = setTimeout(resolve, Math.max(1, ms));
    pump.wakeSleep = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

/** Sends the oldest queued event of each free conversation, up to the free slots; how many went. */
async function dispatch(pump: Pump, sub: SubscriptionRow, state: DeliveryState, epoch: number): Promise<number | "stale"> {
  const { deps } = pump.worker;
  const { id, inFlight } = pump;
  const slots = (state.failures > 0 ? 1 : deps.settings.maxInFlight) - inFlight.size;
  if (slots <= 0) return 0;
  const secrets = await validSecrets(deps.sql, id);
  const heads = await queueHeads(deps.sql, id, slots + inFlight.size);
  // No await from here to the sends: a delivery settling in between would make the heads stale.
  if (pump.settled !== epoch) return "stale";
  const ready = heads.filter((h) => !inFlight.has(h.orderKey)).slice(0, slots);
  for (const head of ready) {
    const job = deliver(deps, sub, head, secrets)
      .catch((error) => deps.logger.warn({ err: error, subscriptionId: id }, "delivery bookkeeping failed"))
      .finally(() => {
        pump.settled++;
        inFlight.delete(head.orderKey);
        pump.handle.wake();
      });
    inFlight.set(head.orderKey, job);
  }
  return ready.length;
}

/** One look at the subscription: "stop", "again" at once, or how long to sleep. */
async function round(pump: Pump): Promise<"stop" | "again" | number> {
  const { sql, settings } = pump.worker.deps;
  const epoch = pump.settled;
  const sub = await getSubscription(sql, pump.id);
  const state = await readState(sql, pump.id);
  if (!sub || !sub.enabled || !state) return "stop";
  let caughtUp = true;
  if (pump.unread && (await pendingCount(sql, pump.id)) < QUEUE_CAP) {
    pump.unread = false;
    caughtUp = await fill(pump.worker.deps, sub, state);
    if (!caughtUp) pump.unread = true;
  }
  const waitMs = state.nextAttemptAt ? state.nextAttemptAt.getTime() - Date.now() : 0;
  const sent = waitMs <= 0 ? await dispatch(pump, sub, state, epoch) : 0;
  if (sent === "stale" || sent > 0 || !caughtUp) return "again";
  return waitMs > 0 ? Math.min(waitMs, settings.pollMs) : settings.pollMs;
}

async function loop(pump: Pump) {
  const { worker, id } = pump;
  while (worker.running && worker.held.has(id)) {
    pump.dirty = false;
    const next = await round(pump).catch((error) => {
      worker.deps.logger.warn({ err: error, subscriptionId: id }, "subscription pump failed; retrying");
      return worker.deps.settings.pollMs;
    });
    if (next === "stop") break;
    if (next !== "again") await sleep(pump, next);
  }
  await Promise.allSettled(pump.inFlight.values());
  worker.pumps.delete(id);
}

/** Starts the pump of subscription `id`; it registers in `worker.pumps` and removes itself when it ends. */
export function startPump(worker: WorkerState, id: string): void {
  const handle: PumpHandle = {
    wake: () => {
      pump.dirty = true;
      pump.wakeSleep();
    },
    logMoved: () => {
      pump.unread = true;
      handle.wake();
    },
    done: Promise.resolve(),
  };
  const pump: Pump = { id, worker, handle, wakeSleep: () => undefined, dirty: true, unread: true, settled: 0, inFlight: new Map() };
  worker.pumps.set(id, handle);
  handle.done = loop(pump);
}
