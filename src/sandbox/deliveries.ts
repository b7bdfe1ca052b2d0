/**
 * @module sandbox/deliveries
 * The webhook sender. Each event becomes one delivery per matching webhook:
 * a POST to `request_url` with the webhook's configured headers only (no
 * JSON content type unless configured, as for API-created webhooks), judged
 * successful only on an exact 200 within the timeout, retried up to 5 times
 * with growing delays otherwise. Every attempt is logged for
 * `GET /sandbox/deliveries`. First attempts leave in order per webhook;
 * retries do not hold the queue, so order is not guaranteed (as with Unipile).
 */
import type { Faults } from "./faults";
import { unipileId } from "./ids";
import type { SandboxWebhook } from "./store";

export interface DeliveryOptions {
  /** Delay before each retry; its length is the number of retries. @default [5000, 30000, 120000, 600000, 1800000] */
  retryDelaysMs?: readonly number[];
  /** Time the receiver has to answer 200. @default 30000 */
  timeoutMs?: number;
}

export interface DeliveryAttempt {
  started_at: string;
  duration_ms: number;
  /** HTTP status answered, or null when the request failed or timed out. */
  status: number | null;
  error?: string;
}

export type DeliveryState = "pending" | "paused" | "delayed" | "delivered" | "failed" | "dropped";

export interface Delivery {
  id: string;
  webhook_id: string | null;
  source: string;
  event: string;
  account_id: string;
  request_url: string;
  headers: Record<string, string>;
  body: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  created_at: string;
  duplicate_of?: string;
}

export interface DeliveryTarget {
  webhook: SandboxWebhook | null;
  url: string;
  headers: Record<string, string>;
  body: string;
  event: string;
  accountId: string;
}

export interface Deliverer {
  enqueue(target: DeliveryTarget): void;
  /** Sends every paused delivery, in order. */
  resume(): void;
  log(): Delivery[];
  /** Resolves once nothing is in flight or waiting for a retry (paused ones excluded). */
  idle(): Promise<void>;
  stop(): void;
}

const DEFAULT_RETRY_DELAYS = [5_000, 30_000, 120_000, 600_000, 1_800_000];

export function createDeliverer(faults: Faults, options: DeliveryOptions = {}): Deliverer {
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deliveries: Delivery[] = [];
  const paused: Delivery[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const queues = new Map<string, Promise<void>>();
  let busy = 0;
  let stopped = false;

  const later = (ms: number, run: () => void) => {
    busy += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      busy -= 1;
      run();
    }, ms);
    timers.add(timer);
  };

  const attempt = async (delivery: Delivery): Promise<void> => {
    if (stopped) return;
    busy += 1;
    const started = performance.now();
    const record: DeliveryAttempt = { started_at: new Date().toISOString(), duration_ms: 0, status: null };
    try {
      const response = await fetch(delivery.request_url, {
        method: "POST",
        headers: delivery.headers,
        // Bytes, not a string: a string body would make fetch add a text/plain content type.
        body: new TextEncoder().encode(delivery.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      record.status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      record.error = error instanceof Error && error.name === "TimeoutError" ? "timeout" : String(error);
    } finally {
      record.duration_ms = Math.round(performance.now() - started);
      delivery.attempts.push(record);
      busy -= 1;
    }
    if (record.status === 200) {
      delivery.state = "delivered";
      return;
    }
    const retryIndex = delivery.attempts.length - 1;
    const delay = retryDelays[retryIndex];
    if (delay === undefined) {
      delivery.state = "failed";
      return;
    }
    later(delay, () => void attempt(delivery));
  };

  /** First attempts run one after another per webhook, so a receiver sees events in order. */
  const send = (delivery: Delivery) => {
    const key = delivery.webhook_id ?? delivery.request_url;
    busy += 1;
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => attempt(delivery)).finally(() => (busy -= 1));
    queues.set(key, next);
  };

  const create = (target: DeliveryTarget, duplicateOf?: string): Delivery => {
    const delivery: Delivery = {
      id: unipileId(),
      webhook_id: target.webhook?.id ?? null,
      source: target.webhook?.source ?? "hosted_auth",
      event: target.event,
      account_id: target.accountId,
      request_url: target.url,
      headers: target.headers,
      body: target.body,
      state: "pending",
      attempts: [],
      created_at: new Date().toISOString(),
      ...(duplicateOf ? { duplicate_of: duplicateOf } : {}),
    };
    deliveries.push(delivery);
    return delivery;
  };

  return {
    enqueue(target) {
      const delivery = create(target);
      const fault = faults.takeWebhookFault();
      switch (fault?.mode) {
        case "drop":
          delivery.state = "dropped";
          return;
        case "pause":
          delivery.state = "paused";
          paused.push(delivery);
          return;
        case "delay":
          delivery.state = "delayed";
          later(fault.delay_ms ?? 1000, () => {
            delivery.state = "pending";
            send(delivery);
          });
          return;
        case "duplicate":
          send(delivery);
          send(create(target, delivery.id));
          return;
        default:
          send(delivery);
      }
    },
    resume() {
      for (const delivery of paused.splice(0)) {
        delivery.state = "pending";
        send(delivery);
      }
    },
    log: () => deliveries,
    async idle() {
      while (busy > 0) await Bun.sleep(5);
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      busy = 0;
    },
  };
}
