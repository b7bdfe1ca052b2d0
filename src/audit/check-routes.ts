/**
 * @module audit/check-routes
 * Checks auditors run against the log: an account as it stood at a past point
 * (`/accounts/:id/state`), and every projection rebuilt and compared with its
 * live tables (`/verify`).
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { accountView } from "../accounts";
import { ApiError } from "../http/errors";
import { apiApp, AUDITOR, ERRORS, json } from "../http/openapi-app";
import type { Sql } from "../db/client";
import { resolveUnipileAccountId, resolveUnipileChatId } from "./account-ref";
import { conversationStateAt } from "./conversation-state";
import { ConversationSchema, conversationView, MessageSchema, messageView } from "../conversations";
import { accountStateAt } from "./account-state";
import type { AccountsProjection } from "../accounts";
import { AccountParams, AccountStateQuery, ConversationParams, ConversationStateQuery, VerifySchema } from "./schemas";
import type { VerifyGuard } from "./verify-guard";

const tags = ["audit"];

const AccountStateSchema = z.object({
  account: z.record(z.string(), z.unknown()).describe("The account as GET /api/unipile/account showed it then"),
  at: z.string().describe("When the last event applied was recorded"),
  position: z.number().describe("The global position of the last event applied"),
});

const ConversationStateSchema = z.object({
  conversation: ConversationSchema,
  messages: z.array(MessageSchema).describe("Its messages then, newest first (up to limit)"),
  at: z.string().describe("When the last event applied was recorded"),
  position: z.number().describe("The global position of the last event applied"),
});

const accountStateRoute = createRoute({
  method: "get",
  path: "/api/audit/accounts/{id}/state",
  operationId: "auditAccountState",
  tags,
  summary: "An account as the accounts projection held it at a time or log position",
  description: "Replays the account's events up to the point with the projection's own fold.",
  ...AUDITOR,
  request: { params: AccountParams, query: AccountStateQuery },
  responses: { 200: json(AccountStateSchema, "The account then"), ...ERRORS },
});

const conversationStateRoute = createRoute({
  method: "get",
  path: "/api/audit/conversations/{id}/state",
  operationId: "auditConversationState",
  tags,
  summary: "A conversation and its messages as the messaging projection held them at a time or log position",
  description: "Replays the chat's stream, the sends to it and its account's owner record up to the point with the projection's own fold.",
  ...AUDITOR,
  request: { params: ConversationParams, query: ConversationStateQuery },
  responses: { 200: json(ConversationStateSchema, "The conversation then"), ...ERRORS },
});

const verifyRoute = createRoute({
  method: "get",
  path: "/api/audit/verify",
  operationId: "auditVerify",
  tags,
  summary: "Rebuild every projection from the log and compare it with the live tables, row for row",
  description: "What `bun run replay --verify` does. One run at a time: a second concurrent call answers 409.",
  ...AUDITOR,
  responses: { 200: json(VerifySchema, "The comparison (ok: false lists the differing rows)"), ...ERRORS },
});

/** `/api/audit/accounts/{id}/state`, `/conversations/{id}/state` and `/verify` (the auditor guard is on the audit app). */
export function checkRoutes(deps: { sql: Sql; verify: VerifyGuard; accounts: AccountsProjection }) {
  const { sql } = deps;
  return apiApp()
    .openapi(accountStateRoute, async (c) => {
      const { id } = c.req.valid("param");
      const { at } = c.req.valid("query");
      const state = await accountStateAt(sql, deps.accounts, await resolveUnipileAccountId(sql, id), at);
      if (!state) throw new ApiError("ACCOUNT_NOT_FOUND", "The log holds no event of this account by then.");
      return c.json({ account: accountView(state.row), at: state.last.recordedAt.toISOString(), position: state.last.globalPosition }, 200);
    })
    .openapi(conversationStateRoute, async (c) => {
      const { id } = c.req.valid("param");
      const { at, limit } = c.req.valid("query");
      const state = await conversationStateAt(sql, await resolveUnipileChatId(sql, id), at);
      if (!state) throw new ApiError("CONVERSATION_NOT_FOUND", "The log holds no event of this conversation by then.");
      return c.json(
        {
          conversation: conversationView(state.conversation),
          messages: state.messages.slice(0, limit).map((m) => messageView(m, state.conversation.readUpTo)),
          at: state.last.recordedAt.toISOString(),
          position: state.last.globalPosition,
        },
        200,
      );
    })
    .openapi(verifyRoute, async (c) => {
      const answer = await deps.verify.run();
      if (!answer) throw new ApiError("CONFLICT", "A verification is already running; try again when it ends.");
      return c.json(answer, 200);
    });
}
