/**
 * @module subscriptions/worker
 * Delivers each subscription from the log. A replica holds a lease per
 * subscription it delivers (renewed every tick; a crashed replica's leases
 * expire and are taken over). Per held subscription, a pump reads the feed
 * after the checkpoint into the queue (checkpoint and queue move together),
 * then sends the oldest queued event of each conversation, at most N at once,
 * so a conversation's events arrive in log order and slow receivers only hold
 * up their own subscription. After a failure the subscription waits (backoff
 * or Retry-After, in the database, so restarts keep the schedule) and probes
 * with one delivery at a time until one succeeds.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import { FEED_EVENT_TYPES, HISTORY_IMPORT_EVENT_TYPES, projectedPosition, readFeed } from "../live";
import type { Projection } from "../projections/projection";
import type { ProjectionRunner } from "../projections/runner";
import { wantsTopic } from "./events";
import { nextDelayMs, type RetrySettings, retryAfterMs, verdictAfterFailure } from "./policy";
import { getSubscription } from "./queries";
import { sendWebhook } from "./send";
import type { SubscriptionService } from "./service";
import {
  claimLeases,
  type DeliveryState,
  enqueue,
  ensureStates,
  type PendingEvent,
  pendingCount,
  queueHeads,
  readState,
  recordDelivered,
  recordFailed,
  releaseLeases,
  validSecrets,
} from "./store";
import type { SubscriptionRow } from "./subscription-evolve";
import { payloadOf, topicOf } from "./topics";

export interface DeliverySettings {
  maxInFlight: number;
  timeoutMs: number;
  allowPrivate: boolean;
  leaseMs: number;
  pollMs: number;
  retry: RetrySettings;
}

export interface WorkerDeps {
  sql: Sql;
  runner: ProjectionRunner;
  projections: readonly Projection[];
  service: SubscriptionService;
  logger: Logger;
  settings: DeliverySettings;
  replica: string;
}

const QUEUE_CAP = 1000;
const READ_LIMIT = 500;
const SUBSCRIPTIONS_PER_REPLICA = 1000;
const TYPES = [...FEED_EVENT_TYPES, ...HISTORY_IMPORT_EVENT_TYPES];

export type SubscriptionWorker = ReturnType<typeof createSubscriptionWorker>;

export function createSubscriptionWorker(deps: WorkerDeps) {
  const { sql, settings, logger } = deps;
  const pumps = new Map<string, { wake: () => void; logMoved: () => void; done: Promise<void> }>();
  let held = new Set<string>();
  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: () => void = () => undefined;
  let ticking: Promise<void> = Promise.resolve();

  /** The log (or a checkpoint) may have moved: every pump reads it again. */
  const wakeAll = () => {
    for (const p of pumps.values()) p.logMoved();
  };

  async function tick() {
    try {
      await ensureStates(sql);
      held = new Set(await claimLeases(sql, { owner: deps.replica, leaseMs: settings.leaseMs, limit: SUBSCRIPTIONS_PER_REPLICA }));
      for (const id of held) if (!pumps.has(id)) startPump(id);
      wakeAll();
    } catch (error) {
      logger.warn({ err: error }, "subscription lease round failed");
    }
  }

  function schedule() {
    if (!running) return;
    timer = setTimeout(() => {
      ticking = tick().finally(schedule);
    }, Math.min(settings.pollMs, Math.floor(settings.leaseMs / 3)));
  }

  /** Reads what the log has for the subscription into its queue; true when it reached the projected end. */
  async function fill(sub: SubscriptionRow, state: DeliveryState): Promise<boolean> {
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

  async function deliver(sub: SubscriptionRow, event: PendingEvent, secrets: readonly string[]) {
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
      logger.warn({ subscriptionId: sub.id, reason: verdict.reason }, "subscription disabled");
      await deps.service.disable(sub.id, { reason: verdict.reason, failures: recorded.failures, lastError: result.error });
    }
  }

  function startPump(id: string) {
    let wake: () => void = () => undefined;
    let dirty = true;
    // Whether the log may hold events not read yet (a delivery settling does not move it).
    let unread = true;
    // Deliveries settled so far: what was read before one settled may be stale (already sent, or now waiting).
    let settled = 0;
    const inFlight = new Map<string, Promise<void>>();
    const pump = {
      wake: () => {
        dirty = true;
        wake();
      },
      logMoved: () => {
        unread = true;
        pump.wake();
      },
      done: Promise.resolve(),
    };
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        if (dirty) return resolve();
        const t = setTimeout(resolve, Math.max(1, ms));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    /** Sends the oldest queued event of each free conversation, up to the free slots; how many went. */
    const dispatch = async (sub: SubscriptionRow, state: DeliveryState, epoch: number): Promise<number | "stale"> => {
      const slots = (state.failures > 0 ? 1 : settings.maxInFlight) - inFlight.size;
      if (slots <= 0) return 0;
      const secrets = await validSecrets(sql, id);
      const heads = await queueHeads(sql, id, slots + inFlight.size);
      // No await from here to the sends: a delivery settling in between would make the heads stale.
      if (settled !== epoch) return "stale";
      const ready = heads.filter((h) => !inFlight.has(h.orderKey)).slice(0, slots);
      for (const head of ready) {
        const job = deliver(sub, head, secrets)
          .catch((error) => logger.warn({ err: error, subscriptionId: id }, "delivery bookkeeping failed"))
          .finally(() => {
            settled++;
            inFlight.delete(head.orderKey);
            pump.wake();
          });
        inFlight.set(head.orderKey, job);
      }
      return ready.length;
    };
    /** One look at the subscription: "stop", "again" at once, or how long to sleep. */
    const round = async (): Promise<"stop" | "again" | number> => {
      const epoch = settled;
      const sub = await getSubscription(sql, id);
      const state = await readState(sql, id);
      if (!sub || !sub.enabled || !state) return "stop";
      let caughtUp = true;
      if (unread && (await pendingCount(sql, id)) < QUEUE_CAP) {
        unread = false;
        caughtUp = await fill(sub, state);
        if (!caughtUp) unread = true;
      }
      const waitMs = state.nextAttemptAt ? state.nextAttemptAt.getTime() - Date.now() : 0;
      const sent = waitMs <= 0 ? await dispatch(sub, state, epoch) : 0;
      if (sent === "stale" || sent > 0 || !caughtUp) return "again";
      return waitMs > 0 ? Math.min(waitMs, settings.pollMs) : settings.pollMs;
    };
    const loop = async () => {
      while (running && held.has(id)) {
        dirty = false;
        const next = await round().catch((error) => {
          logger.warn({ err: error, subscriptionId: id }, "subscription pump failed; retrying");
          return settings.pollMs;
        });
        if (next === "stop") break;
        if (next !== "again") await sleep(next);
      }
      await Promise.allSettled(inFlight.values());
      pumps.delete(id);
    };
    pumps.set(id, pump);
    pump.done = loop();
  }

  return {
    start() {
      if (running) return;
      running = true;
      unsubscribe = deps.runner.onApplied(wakeAll);
      ticking = tick().finally(schedule);
    },
    /** Stops taking work, lets in-flight deliveries finish, and gives the leases back. */
    async stop() {
      if (!running) return;
      running = false;
      clearTimeout(timer);
      unsubscribe();
      await ticking;
      wakeAll();
      await Promise.allSettled([...pumps.values()].map((p) => p.done));
      // Only when it holds some: shutdown stays as short as before for a replica without subscriptions.
      if (held.size > 0) await releaseLeases(sql, deps.replica).catch(() => undefined);
      held = new Set();
    },
    /** Looks for work now (after a replay or a re-enable). */
    nudge: wakeAll,
  };
}
