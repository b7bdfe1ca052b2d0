/**
 * @module audit/check-routes
 * Checks auditors run against the log: an account as it stood at a past point
 * (`/accounts/:id/state`), and every projection rebuilt and compared with its
 * live tables (`/verify`).
 */
import type { Hono } from "hono";
import { z } from "zod";
import { accountView } from "../accounts/routes";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import type { ApiDocs } from "../http/openapi";
import { validate } from "../http/validation";
import type { Sql } from "../db/client";
import { resolveUnipileAccountId, resolveUnipileChatId } from "./account-ref";
import { conversationStateAt } from "./conversation-state";
import { ConversationSchema, conversationView, MessageSchema, messageView } from "../messaging/views";
import { accountStateAt } from "./account-state";
import { AccountParams, AccountStateQuery, ConversationParams, ConversationStateQuery, VerifySchema } from "./schemas";
import type { VerifyGuard } from "./verify-guard";

const tags = ["audit"];
const auth = "auditor";

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

export function registerCheckRoutes(app: Hono<AppEnv>, deps: { sql: Sql; verify: VerifyGuard }, docs: ApiDocs) {
  const { sql } = deps;

  docs.add({ method: "get", path: "/api/audit/accounts/:id/state", summary: "An account as the accounts projection held it at a time or log position", description: "Replays the account's events up to the point with the projection's own fold.", tags, auth, params: AccountParams, query: AccountStateQuery, responses: { 200: { description: "The account then", schema: AccountStateSchema } } });
  app.get("/api/audit/accounts/:id/state", validate("param", AccountParams), validate("query", AccountStateQuery), async (c) => {
    const { id } = c.req.valid("param");
    const { at } = c.req.valid("query");
    const state = await accountStateAt(sql, await resolveUnipileAccountId(sql, id), at);
    if (!state) throw new ApiError("ACCOUNT_NOT_FOUND", "The log holds no event of this account by then.");
    return c.json({ account: accountView(state.row), at: state.last.recordedAt.toISOString(), position: state.last.globalPosition });
  });

  docs.add({ method: "get", path: "/api/audit/conversations/:id/state", summary: "A conversation and its messages as the messaging projection held them at a time or log position", description: "Replays the chat's stream, the sends to it and its account's owner record up to the point with the projection's own fold.", tags, auth, params: ConversationParams, query: ConversationStateQuery, responses: { 200: { description: "The conversation then", schema: ConversationStateSchema } } });
  app.get("/api/audit/conversations/:id/state", validate("param", ConversationParams), validate("query", ConversationStateQuery), async (c) => {
    const { id } = c.req.valid("param");
    const { at, limit } = c.req.valid("query");
    const state = await conversationStateAt(sql, await resolveUnipileChatId(sql, id), at);
    if (!state) throw new ApiError("CONVERSATION_NOT_FOUND", "The log holds no event of this conversation by then.");
    return c.json({
      conversation: conversationView(state.conversation),
      messages: state.messages.slice(0, limit).map((m) => messageView(m, state.conversation.readUpTo)),
      at: state.last.recordedAt.toISOString(),
      position: state.last.globalPosition,
    });
  });

  docs.add({ method: "get", path: "/api/audit/verify", summary: "Rebuild every projection from the log and compare it with the live tables, row for row", description: "What `bun run replay --verify` does. One run at a time: a second concurrent call answers 409.", tags, auth, responses: { 200: { description: "The comparison (ok: false lists the differing rows)", schema: VerifySchema } } });
  app.get("/api/audit/verify", async (c) => {
    const answer = await deps.verify.run();
    if (!answer) throw new ApiError("CONFLICT", "A verification is already running; try again when it ends.");
    return c.json(answer);
  });
}
