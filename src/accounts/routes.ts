/**
 * @module accounts/routes
 * CommSync's account routes under /api/unipile. A user sees and acts only on
 * their own accounts; another user's account answers 404, like a missing one.
 */
import { createRoute } from "@hono/zod-openapi";
import QRCode from "qrcode";
import { z } from "zod";
import { ApiError } from "../http/errors";
import { EXAMPLES } from "../http/examples";
import { apiApp, BEARER, ERRORS, json, type RouteGuards } from "../http/openapi-app";
import { jsonBodyGate } from "../http/validation";
import type { ProjectionRunner } from "../projections/runner";
import { upstreamError } from "../unipile";
import { getAccountForUser, listAccountsForUser } from "./queries";
import type { AccountsFailure, AccountsService, ConnectionAttempt } from "./service";
import { AccountSchema, accountView } from "./views";

export interface AccountRoutesDeps {
  accounts: AccountsService;
  sql: Parameters<typeof getAccountForUser>[0];
  runner: ProjectionRunner;
  guards: RouteGuards;
}

const ConnectionSchema = z.object({
  id: z.uuid().describe("The same as accountId"),
  accountId: z.uuid(),
  accountIdentifier: z.string(),
  status: z.literal("pending"),
  qrCodeString: z.string().describe("The QR code drawn with text characters"),
  qrCodeTerminal: z.string().describe("The QR code for a terminal: ANSI colours, dark modules on an explicit white background, so it scans on a dark terminal too"),
  qrCode: z.string().describe("The raw WhatsApp pairing payload, to render as a QR code"),
  qrSvg: z.string().describe("The QR code as an SVG image"),
  pairingCode: z.string().nullable().describe("With pairingPhoneNumber: the code to type in WhatsApp"),
  expiresAt: z.string(),
}).meta({ id: "Connection" });

const AccountIdQuery = z.object({ accountId: z.uuid({ error: "accountId must be a UUID" }) });
const ConnectBody = z.object({
  pairingPhoneNumber: z
    .string()
    .transform((v) => v.replace(/[\s()+-]/g, ""))
    .pipe(z.string().regex(/^[1-9]\d{6,14}$/, "a phone number with country code, digits only (E.164)"))
    .optional()
    .describe("Link with a pairing code typed on the phone instead of a QR code"),
});
const CheckStatusQuery = AccountIdQuery.extend({
  wait: z.coerce.number().int().min(0).max(30).optional().describe("Seconds to wait for a status change (≤ 30)"),
});

async function connectionView(attempt: ConnectionAttempt) {
  return {
    id: attempt.accountId,
    accountId: attempt.accountId,
    accountIdentifier: attempt.unipileAccountId,
    status: "pending" as const,
    qrCodeString: await QRCode.toString(attempt.qrCode),
    qrCodeTerminal: await QRCode.toString(attempt.qrCode, { type: "terminal", small: true }),
    qrCode: attempt.qrCode,
    qrSvg: await QRCode.toString(attempt.qrCode, { type: "svg" }),
    pairingCode: attempt.pairingCode,
    expiresAt: attempt.expiresAt.toISOString(),
  };
}

function failure(f: AccountsFailure): ApiError {
  switch (f.code) {
    case "UPSTREAM":
      return upstreamError(f.failure);
    case "ACCOUNT_NOT_FOUND":
      return new ApiError("ACCOUNT_NOT_FOUND", "No such account.");
    case "ACCOUNT_ALREADY_CONNECTED":
      return new ApiError("ACCOUNT_ALREADY_CONNECTED", "The account is connected; it needs no new QR code.");
    case "ACCOUNT_DISCONNECTED":
      return new ApiError("ACCOUNT_DISCONNECTED", "The account was disconnected; connect a new one instead.");
    default: {
      const unexpected: never = f;
      return unexpected;
    }
  }
}

const tags = ["accounts"];

const connectRoute = createRoute({
  method: "post",
  path: "/api/unipile/connect-whatsapp",
  operationId: "connectWhatsapp",
  tags,
  summary: "Start linking a WhatsApp account: a QR code (or a pairing code)",
  security: BEARER,
  request: { body: { required: false, content: { "application/json": { schema: ConnectBody } } } },
  responses: { 200: json(ConnectionSchema, "Scan the QR code; then watch check-status", EXAMPLES.connection), ...ERRORS },
});

const checkStatusRoute = createRoute({
  method: "get",
  path: "/api/unipile/check-status",
  operationId: "checkStatus",
  tags,
  summary: "An account's status; with wait, answers as soon as it changes",
  security: BEARER,
  request: { query: CheckStatusQuery },
  responses: { 200: json(AccountSchema, "Status", EXAMPLES.account), ...ERRORS },
});

const getAccountRoute = createRoute({
  method: "get",
  path: "/api/unipile/account",
  operationId: "getAccounts",
  tags,
  summary: "The caller's accounts, or one with accountId",
  security: BEARER,
  request: { query: AccountIdQuery.partial() },
  responses: {
    200: json(z.union([z.object({ accounts: z.array(AccountSchema) }), z.object({ account: AccountSchema })]), "{accounts} or {account}"),
    ...ERRORS,
  },
});

const disconnectRoute = createRoute({
  method: "delete",
  path: "/api/unipile/account",
  operationId: "disconnectAccount",
  tags,
  summary: "Disconnect: deletes the account at Unipile; repeating it answers 200 with alreadyDisconnected",
  security: BEARER,
  request: { query: AccountIdQuery },
  responses: { 200: json(z.object({ account: AccountSchema, alreadyDisconnected: z.boolean() }), "Disconnected"), ...ERRORS },
});

const reconnectRoute = createRoute({
  method: "post",
  path: "/api/unipile/account/reconnect",
  operationId: "reconnectAccount",
  tags,
  summary: "A fresh QR code for an account that needs one (expired, credentials lost, error)",
  security: BEARER,
  request: { query: AccountIdQuery },
  responses: { 200: json(ConnectionSchema, "Scan the new QR code"), ...ERRORS },
});

/** The account routes, mounted with `app.route("/", accountRoutes(deps))`. */
export function accountRoutes(deps: AccountRoutesDeps) {
  const { accounts } = deps;
  const actor = (c: { get(key: "principal"): { userId: string }; get(key: "requestId"): string }) => ({
    userId: c.get("principal").userId,
    requestId: c.get("requestId"),
  });
  const guard = [deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated];

  return apiApp()
    .openapi({ ...connectRoute, middleware: [...guard, jsonBodyGate({ optional: true })] }, async (c) => {
      const result = await accounts.connect(actor(c), c.req.valid("json"));
      if (!result.ok) throw failure(result.error);
      return c.json(await connectionView(result.value), 200);
    })
    .openapi({ ...checkStatusRoute, middleware: guard }, async (c) => {
      const { accountId, wait } = c.req.valid("query");
      const { userId } = c.get("principal");
      let row = await getAccountForUser(deps.sql, accountId, userId);
      if (!row) throw failure({ code: "ACCOUNT_NOT_FOUND" });
      const initial = row.status;
      const deadline = Date.now() + (wait ?? 0) * 1000;
      while (row && row.status === initial && Date.now() < deadline && !c.req.raw.signal.aborted) {
        await nextChange(deps.runner, Math.min(1000, deadline - Date.now()));
        row = await getAccountForUser(deps.sql, accountId, userId);
      }
      if (!row) throw failure({ code: "ACCOUNT_NOT_FOUND" });
      return c.json(accountView(row), 200);
    })
    .openapi({ ...getAccountRoute, middleware: guard }, async (c) => {
      const { accountId } = c.req.valid("query");
      const { userId } = c.get("principal");
      if (!accountId) return c.json({ accounts: (await listAccountsForUser(deps.sql, userId)).map(accountView) }, 200);
      const row = await getAccountForUser(deps.sql, accountId, userId);
      if (!row) throw failure({ code: "ACCOUNT_NOT_FOUND" });
      return c.json({ account: accountView(row) }, 200);
    })
    .openapi({ ...disconnectRoute, middleware: guard }, async (c) => {
      const { accountId } = c.req.valid("query");
      const result = await accounts.disconnect(actor(c), accountId);
      if (!result.ok) throw failure(result.error);
      const row = await getAccountForUser(deps.sql, accountId, c.get("principal").userId);
      if (!row) throw failure({ code: "ACCOUNT_NOT_FOUND" });
      return c.json({ account: accountView(row), alreadyDisconnected: result.value.alreadyDisconnected }, 200);
    })
    .openapi({ ...reconnectRoute, middleware: guard }, async (c) => {
      const result = await accounts.reconnect(actor(c), c.req.valid("query").accountId);
      if (!result.ok) throw failure(result.error);
      return c.json(await connectionView(result.value), 200);
    });
}

/** Resolves when the projections apply something (or after `ms`). */
function nextChange(runner: ProjectionRunner, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(ms, 0));
    const unsubscribe = runner.onApplied(done);
    function done() {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
  });
}
