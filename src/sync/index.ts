/**
 * @module sync
 * Polling, history import and gap filling, so no message is missed when a
 * webhook is: `createSyncService(options)` wires the account run
 * (account-sync.ts) to the lease-based scheduler (scheduler.ts). The
 * decisions are pure (decider.ts); the events are in events.ts.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import type { EventStore } from "../event-store";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import type { UnipileGateway } from "../unipile";
import { createAccountSync } from "./account-sync";
import { createChatCache, createChatRecorder } from "./chat-recorder";
import { createSyncScheduler, type SyncScheduler } from "./scheduler";

export interface SyncSettings {
  intervalMs: number;
  overlapMs: number;
  leaseMs: number;
  concurrency: number;
  maxBackoffMs: number;
  catchUpAfterMs: number;
  /** @default { chats: 100, messages: 250 } (Unipile's limit is 250) */
  pageSize?: { chats: number; messages: number };
  /** @default 10000 */
  backfillSliceMs?: number;
}

export interface SyncServiceOptions {
  sql: Sql;
  eventStore: EventStore;
  gateway: UnipileGateway;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  settings: SyncSettings;
  random?: () => number;
}

export type SyncService = SyncScheduler;

export function createSyncService(options: SyncServiceOptions): SyncService {
  const { settings } = options;
  const accountSync = createAccountSync({
    sql: options.sql,
    eventStore: options.eventStore,
    gateway: options.gateway,
    chats: createChatRecorder({ sql: options.sql, gateway: options.gateway, cache: createChatCache() }),
    clock: options.clock,
    ids: options.ids,
    logger: options.logger,
    overlapMs: settings.overlapMs,
    catchUpAfterMs: settings.catchUpAfterMs,
    pageSize: settings.pageSize ?? { chats: 100, messages: 250 },
    backfillSliceMs: settings.backfillSliceMs ?? 10_000,
  });
  return createSyncScheduler({
    sql: options.sql,
    accountSync,
    ids: options.ids,
    logger: options.logger,
    intervalMs: settings.intervalMs,
    leaseMs: settings.leaseMs,
    concurrency: settings.concurrency,
    maxBackoffMs: settings.maxBackoffMs,
    random: options.random,
  });
}

export type { SyncOutcome, SchedulerStatus } from "./scheduler";
export { syncLeases } from "./leases-table";
export { syncRoutes } from "./routes";
export { syncAccountRowFold } from "./account-sync-evolve";
