/**
 * @module sync/routes
 * `POST /api/unipile/sync`: syncs the caller's accounts (or one) now and
 * answers what each run found, once the projections show it.
 * `POST /api/unipile/start-sync`: makes sure this instance's background sync
 * runs, makes the caller's accounts due, and answers the sync's state.
 * Both are idempotent and see only the caller's accounts.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { AccountRow } from "../accounts";
import { getAccountForUser, listAccountsForUser } from "../accounts";
import { AccountSchema, accountView } from "../accounts";
import type { Sql } from "../db/client";
import { ApiError } from "../http/errors";
import { apiApp, BEARER, ERRORS, json, type RouteGuards } from "../http/openapi-app";
import { jsonBodyGate } from "../http/validation";
import type { ProjectionRunner } from "../projections/runner";
import type { SyncOutcome, SyncService } from "./index";
import { readLeases } from "./leases";

export interface SyncRoutesDeps {
  sql: Sql;
  runner: ProjectionRunner;
  sync: SyncService;
  guards: RouteGuards;
}

const SyncBody = z.object({ accountId: z.uuid({ error: "accountId must be a UUID" }).optional().describe("One of the caller's accounts; all of them when left out") });

const FoundSchema = z.object({
  trigger: z.enum(["interval", "manual", "gap_fill", "catch_up"]),
  after: z.string().nullable().describe("Messages after this Unipile time were read"),
  position: z.string().nullable(),
  chatsSeen: z.number().int(),
  chatsRecorded: z.number().int(),
  messagesSeen: z.number().int(),
  messagesNew: z.number().int().describe("Messages no webhook had brought"),
  newMessageIds: z.array(z.string()).describe("Unipile ids of those (at most 200)"),
  recorded: z.boolean().describe("Whether the run was recorded in the account's history (AccountSyncCompleted)"),
});

const SyncResultSchema = z.object({
  accountId: z.string(),
  accountIdentifier: z.string(),
  outcome: z.enum(["synced", "failed", "skipped", "busy", "rate_limited"]).describe("skipped: not connected; busy: another run held the account too long; rate_limited: Unipile asked to wait"),
  found: FoundSchema.nullable(),
  backfill: z.object({ runId: z.string(), reason: z.string(), state: z.enum(["running", "done"]), chatsDone: z.number().int(), messagesSeen: z.number().int(), started: z.boolean() }).nullable(),
  failure: z.record(z.string(), z.unknown()).nullable(),
  retryAt: z.string().nullable(),
  account: AccountSchema,
});

const ScheduleSchema = z.object({
  nextRunAt: z.string(),
  lastRunAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  failures: z.number().int(),
  lastError: z.unknown(),
  blockedUntil: z.string().nullable(),
  syncingNow: z.boolean(),
});

const StartSchema = z.object({
  running: z.literal(true),
  started: z.boolean().describe("Whether this call started it (false: it was running)"),
  intervalMs: z.number().int(),
  pausedUntil: z.string().nullable().describe("Unipile was failing: no account is synced before then"),
  accounts: z.array(z.object({ account: AccountSchema, schedule: ScheduleSchema.nullable() })),
});

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function resultView(row: AccountRow, result: SyncOutcome) {
  const base = { accountId: row.id ?? "", accountIdentifier: row.unipileAccountId, outcome: result.outcome, found: null, backfill: null, failure: null, retryAt: null };
  switch (result.outcome) {
    case "synced": {
      const { backfill, poll } = result.report;
      return {
        ...base,
        found: poll,
        backfill: backfill && { runId: backfill.runId, reason: backfill.reason, state: backfill.state, chatsDone: backfill.chatsDone, messagesSeen: backfill.messagesSeen, started: backfill.started },
      };
    }
    case "failed": {
      const failure = result.failure.kind === "unipile" ? { operation: result.failure.operation, ...result.failure.failure } : { kind: result.failure.kind };
      return { ...base, failure, retryAt: result.retryAt.toISOString() };
    }
    case "rate_limited":
      return { ...base, retryAt: result.retryAt.toISOString() };
    default:
      return base;
  }
}

const tags = ["sync"];

const syncRoute = createRoute({
  method: "post",
  path: "/api/unipile/sync",
  operationId: "syncNow",
  tags,
  summary: "Sync the caller's accounts (or one) with Unipile now: what each run found",
  description: "Reads the chats and messages Unipile lists after the account's sync position, appends what the log lacks (deduplicated with the webhooks), and answers once the conversations show it. A history import in progress goes on for a while too.",
  security: BEARER,
  request: { body: { required: false, content: { "application/json": { schema: SyncBody } } } },
  responses: { 200: json(z.object({ results: z.array(SyncResultSchema) }), "One result per account"), ...ERRORS },
});

const startSyncRoute = createRoute({
  method: "post",
  path: "/api/unipile/start-sync",
  operationId: "startSync",
  tags,
  summary: "Make sure the background sync runs; the sync state of the caller's accounts",
  security: BEARER,
  responses: { 200: json(StartSchema, "Running"), ...ERRORS },
});

/** The sync routes, mounted with `app.route("/", syncRoutes(deps))`. */
export function syncRoutes(deps: SyncRoutesDeps) {
  const { sql, sync } = deps;
  const guard = [deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated];

  return apiApp()
    .openapi({ ...syncRoute, middleware: [...guard, jsonBodyGate({ optional: true })] }, async (c) => {
      const { accountId } = c.req.valid("json");
      const { userId } = c.get("principal");
      const rows = accountId ? [await getAccountForUser(sql, accountId, userId)] : await listAccountsForUser(sql, userId);
      if (rows.some((r) => r === null)) throw new ApiError("ACCOUNT_NOT_FOUND", "No such account.");
      const accounts = rows as AccountRow[];
      const outcomes = await Promise.all(accounts.map((row) => sync.syncNow(row)));
      // Read-your-writes for everything the answer reports, not only what these runs appended: a run
      // may find the import already done by a background run whose events the projection has yet to apply.
      await deps.runner.catchUp(5000);
      const results = await Promise.all(
        accounts.map(async (row, i) => {
          const fresh = (await getAccountForUser(sql, row.id ?? "", userId)) ?? row;
          return { ...resultView(fresh, outcomes[i] as SyncOutcome), account: accountView(fresh) };
        }),
      );
      return c.json({ results }, 200);
    })
    .openapi({ ...startSyncRoute, middleware: guard }, async (c) => {
      const { userId } = c.get("principal");
      const started = sync.start();
      const accounts = await listAccountsForUser(sql, userId);
      const connected = accounts.filter((a) => a.status === "connected").map((a) => a.unipileAccountId);
      await sync.kick(connected);
      const leases = new Map((await readLeases(sql, accounts.map((a) => a.unipileAccountId))).map((l) => [l.unipileAccountId, l]));
      const status = sync.status();
      const now = Date.now();
      return c.json({
        running: true as const,
        started,
        intervalMs: status.intervalMs,
        pausedUntil: status.pausedUntil,
        accounts: accounts.map((row) => {
          const lease = leases.get(row.unipileAccountId);
          return {
            account: accountView(row),
            schedule: lease
              ? {
                  nextRunAt: lease.nextRunAt.toISOString(),
                  lastRunAt: iso(lease.lastRunAt),
                  lastSuccessAt: iso(lease.lastSuccessAt),
                  failures: lease.failures,
                  lastError: lease.lastError ?? null,
                  blockedUntil: iso(lease.blockedUntil),
                  syncingNow: lease.owner !== null && (lease.leaseExpiresAt?.getTime() ?? 0) > now,
                }
              : null,
          };
        }),
      }, 200);
    });
}
