/**
 * @module accounts/monitor
 * Background duties for accounts, one replica at a time (a session advisory
 * lock per tick):
 * - QR expiry: an attempt not scanned in time ends as ConnectionAttemptExpired;
 *   the client asks for a new code with reconnect (no endless refresh loop).
 * - Drift correction: `GET /accounts/{id}` for every live account records a
 *   status a missed webhook would have carried, and the name and number.
 * `checkSoon(id)` fetches one account's details right away (after a status
 * webhook), without delaying the webhook's answer.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import { failureLog } from "../db/errors";
import { systemMetadata } from "../event-store";
import type { Clock } from "../lib/clock";
import type { UnipileGateway } from "../unipile";
import type { AccountRow } from "./account-evolve";
import { getAccountByUnipileId, listAccountsToCheck, listExpiredAttempts } from "./queries";
import type { AccountsService } from "./service";
import { statusFromUnipile, TERMINAL } from "./status-mapping";

const MONITOR_LOCK = 7_304_118_002;

export interface AccountMonitorOptions {
  sql: Sql;
  gateway: UnipileGateway;
  accounts: AccountsService;
  clock: Clock;
  logger: Logger;
  /** How often expiry runs. @default 5000 */
  expiryIntervalMs: number;
  /** How often every live account is checked against Unipile. @default 60000 */
  checkIntervalMs: number;
}

export type AccountMonitor = ReturnType<typeof createAccountMonitor>;

/** The options plus what the monitor tracks while it runs. */
interface MonitorState {
  options: AccountMonitorOptions;
  timers: ReturnType<typeof setInterval>[];
  inFlight: Set<Promise<unknown>>;
  /** The duties with a run in progress (one at a time each). */
  running: Set<string>;
  stopped: boolean;
}

function track<T>(m: MonitorState, promise: Promise<T>) {
  m.inFlight.add(promise);
  void promise.finally(() => m.inFlight.delete(promise));
  return promise;
}

/** Runs `work` only if no other replica holds the monitor lock. */
async function exclusively(sql: Sql, work: () => Promise<void>) {
  const connection = await sql.reserve();
  try {
    const [row] = await connection<{ locked: boolean }[]>`select pg_try_advisory_lock(${MONITOR_LOCK}) as locked`;
    if (!row?.locked) return;
    try {
      await work();
    } finally {
      await connection`select pg_advisory_unlock(${MONITOR_LOCK})`;
    }
  } finally {
    connection.release();
  }
}

async function expireDue({ sql, clock, accounts, logger }: AccountMonitorOptions): Promise<number> {
  let expired = 0;
  for (const row of await listExpiredAttempts(sql, clock.now())) {
    if (await accounts.expire(row)) expired++;
  }
  if (expired) logger.info({ expired }, "connection attempts expired");
  return expired;
}

async function check({ gateway, clock, accounts, logger }: AccountMonitorOptions, row: AccountRow, options: { status: boolean }) {
  const result = await gateway.getAccount(row.unipileAccountId);
  const metadata = systemMetadata("poll", clock);
  if (!result.ok) {
    if (options.status && result.error.kind === "http" && result.error.status === 404) {
      const reason = `drift check: Unipile answered 404 to GET /accounts/${row.unipileAccountId} (it no longer has the account)`;
      await accounts.recordStatus({ unipileAccountId: row.unipileAccountId, unipileStatus: "DELETED", via: "poll", raw: result.error, metadata, reason });
    } else {
      logger.warn({ account: row.unipileAccountId, failure: result.error }, "account status check failed");
    }
    return;
  }
  const word = result.value.sources[0]?.status;
  if (options.status && word && statusFromUnipile(word) !== row.status) {
    await accounts.recordStatus({ unipileAccountId: row.unipileAccountId, unipileStatus: word, via: "poll", raw: result.value, metadata });
  }
  await accounts.recordDetails(row, result.value);
}

async function checkAll(m: MonitorState): Promise<void> {
  for (const row of await listAccountsToCheck(m.options.sql)) {
    if (m.stopped) return;
    await check(m.options, row, { status: true });
  }
}

/** Fetches one account's name and number (not its status) in the background. */
function checkSoon(m: MonitorState, unipileAccountId: string) {
  const { sql, logger } = m.options;
  void track(
    m,
    (async () => {
      const row = await getAccountByUnipileId(sql, unipileAccountId);
      // A deleted or disconnected account is gone at Unipile: nothing to fetch (its 404 is no news).
      if (row?.userId && !TERMINAL.includes(row.status)) await check(m.options, row, { status: false });
    })().catch((error) => logger.warn({ ...failureLog(error).fields, account: unipileAccountId }, "account check failed")),
  );
}

/** One run of a duty at a time; a failed run (the database down) is logged and the next interval tries again. */
const safely = (m: MonitorState, name: string, work: () => Promise<unknown>) => () => {
  if (m.stopped || m.running.has(name)) return;
  m.running.add(name);
  void track(
    m,
    exclusively(m.options.sql, async () => void (await work()))
      .catch((error) => {
        const { level, fields } = failureLog(error);
        m.options.logger[level]({ ...fields, duty: name }, "account monitor duty failed");
      })
      .finally(() => m.running.delete(name)),
  );
};

export function createAccountMonitor(options: AccountMonitorOptions) {
  const m: MonitorState = { options, timers: [], inFlight: new Set(), running: new Set(), stopped: false };
  return {
    expireDue: (): Promise<number> => expireDue(options),
    checkAll: (): Promise<void> => checkAll(m),

    /**
     * Fetches one account's name and number now, in the background (after a
     * status webhook). Its status is left to the webhooks and the periodic
     * check: a poll racing the webhooks would record stale words between them.
     */
    checkSoon(unipileAccountId: string) {
      checkSoon(m, unipileAccountId);
    },

    start() {
      m.stopped = false;
      m.timers.push(setInterval(safely(m, "expiry", () => expireDue(options)), options.expiryIntervalMs));
      m.timers.push(setInterval(safely(m, "status check", () => checkAll(m)), options.checkIntervalMs));
    },

    async stop() {
      m.stopped = true;
      for (const timer of m.timers.splice(0)) clearInterval(timer);
      await Promise.allSettled([...m.inFlight]);
    },
  };
}
