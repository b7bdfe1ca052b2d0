/**
 * @module conversations/routes
 * Reading conversations and messages, marking a conversation read, and
 * attachment downloads. A user sees only conversations of accounts they own;
 * another user's ids answer 404 like missing ones. Queries first let the
 * projections catch up with every event committed before the request, so a
 * webhook that was answered (or a send that returned) shows in the next read.
 */
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { Queryable } from "../db/client";
import { ApiError } from "../http/errors";
import { storableText } from "../http/input";
import { EXAMPLES } from "../http/examples";
import { apiApp, BEARER, ERRORS, json, type RouteGuards } from "../http/openapi-app";
import type { ProjectionRunner } from "../projections/runner";
import type { UnipileGateway } from "../unipile";
import { upstreamError } from "../unipile";
import { getConversationForUser, getMessageForUser, listConversations, listMessages } from "./queries";
import type { ReadService } from "./mark-read";
import { ConversationSchema, conversationView, decodeCursor, encodeCursor, MessageSchema, messageView } from "./views";

export interface MessagingRoutesDeps {
  sql: Queryable;
  runner: ProjectionRunner;
  gateway: UnipileGateway;
  reads: ReadService;
  guards: RouteGuards;
}

const PageQuery = z.object({
  cursor: z.string().max(500).optional().describe("nextCursor of the previous page"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const ConversationsQuery = PageQuery.extend({ accountId: z.uuid({ error: "accountId must be a UUID" }).optional() });
const ConversationParam = z.object({ id: z.uuid({ error: "the conversation id must be a UUID" }) });
const AttachmentParam = z.object({ id: z.uuid({ error: "the message id must be a UUID" }), attachmentId: storableText(500) });
const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const notFound = () => new ApiError("CONVERSATION_NOT_FOUND", "No such conversation.");

const tags = ["conversations"];

const listConversationsRoute = createRoute({
  method: "get",
  path: "/api/conversations",
  operationId: "listConversations",
  tags,
  summary: "The caller's conversations, newest activity first (keyset pages)",
  security: BEARER,
  request: { query: ConversationsQuery },
  responses: { 200: json(pageOf(ConversationSchema).meta({ id: "ConversationPage" }), "A page", EXAMPLES.conversations), ...ERRORS },
});

const getConversationRoute = createRoute({
  method: "get",
  path: "/api/conversations/{id}",
  operationId: "getConversation",
  tags,
  summary: "One conversation",
  security: BEARER,
  request: { params: ConversationParam },
  responses: { 200: json(ConversationSchema, "The conversation"), ...ERRORS },
});

const listMessagesRoute = createRoute({
  method: "get",
  path: "/api/conversations/{id}/messages",
  operationId: "listMessages",
  tags: ["messages"],
  summary: "A conversation's messages, newest first (keyset pages)",
  security: BEARER,
  request: { params: ConversationParam, query: PageQuery },
  responses: { 200: json(pageOf(MessageSchema).meta({ id: "MessagePage" }), "A page", EXAMPLES.messages), ...ERRORS },
});

const markReadRoute = createRoute({
  method: "post",
  path: "/api/conversations/{id}/read",
  operationId: "markConversationRead",
  tags,
  summary: "Marks the conversation read, here and at Unipile",
  security: BEARER,
  request: { params: ConversationParam },
  responses: { 200: json(z.object({ conversation: ConversationSchema, syncedToUnipile: z.boolean() }), "The conversation, unread count 0"), ...ERRORS },
});

const attachmentRoute = createRoute({
  method: "get",
  path: "/api/messages/{id}/attachments/{attachmentId}",
  operationId: "getAttachment",
  tags: ["messages"],
  summary: "An attachment's bytes, fetched from Unipile",
  security: BEARER,
  request: { params: AttachmentParam },
  responses: { 200: { description: "The file, with its own Content-Type", content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } } }, ...ERRORS },
});

/** The conversation and message reading routes, mounted with `app.route("/", messagingRoutes(deps))`. */
export function messagingRoutes(deps: MessagingRoutesDeps) {
  const { sql } = deps;
  const guard = [deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated];
  const caughtUp = () => deps.runner.catchUp(1000);

  return apiApp()
    .openapi({ ...listConversationsRoute, middleware: guard }, async (c) => {
      const { accountId, cursor, limit } = c.req.valid("query");
      const after = decodeCursor(cursor);
      await caughtUp();
      const page = await listConversations(sql, { userId: c.get("principal").userId, accountId, after, limit });
      return c.json({ items: page.items.map(conversationView), nextCursor: encodeCursor(page.next) }, 200);
    })
    .openapi({ ...getConversationRoute, middleware: guard }, async (c) => {
      await caughtUp();
      const row = await getConversationForUser(sql, c.req.valid("param").id, c.get("principal").userId);
      if (!row) throw notFound();
      return c.json(conversationView(row), 200);
    })
    .openapi({ ...listMessagesRoute, middleware: guard }, async (c) => {
      const { cursor, limit } = c.req.valid("query");
      const after = decodeCursor(cursor);
      await caughtUp();
      const conversation = await getConversationForUser(sql, c.req.valid("param").id, c.get("principal").userId);
      if (!conversation) throw notFound();
      const page = await listMessages(sql, { conversationId: conversation.id, after, limit });
      return c.json({ items: page.items.map((m) => messageView(m, conversation.readUpTo)), nextCursor: encodeCursor(page.next) }, 200);
    })
    .openapi({ ...markReadRoute, middleware: guard }, async (c) => {
      const result = await deps.reads.markRead({ userId: c.get("principal").userId, requestId: c.get("requestId") }, c.req.valid("param").id);
      if (!result.ok) throw result.error.code === "UPSTREAM" ? upstreamError(result.error.failure) : notFound();
      return c.json({ conversation: conversationView(result.value.conversation), syncedToUnipile: result.value.syncedToUnipile }, 200);
    })
    .openapi({ ...attachmentRoute, middleware: guard }, async (c) => {
      const { id, attachmentId } = c.req.valid("param");
      const found = await getMessageForUser(sql, id, c.get("principal").userId);
      if (!found) throw new ApiError("MESSAGE_NOT_FOUND", "No such message.");
      const attachment = found.message.attachments.find((a) => a.id === attachmentId);
      if (!attachment || !found.message.unipileMessageId || found.message.deleted) throw new ApiError("ATTACHMENT_NOT_FOUND", "The message has no such attachment.");
      const file = await deps.gateway.getAttachment({ messageId: found.message.unipileMessageId, attachmentId });
      if (!file.ok && file.error.kind === "http" && file.error.status === 404) throw new ApiError("ATTACHMENT_NOT_FOUND", "Unipile no longer has this attachment.");
      if (!file.ok) throw upstreamError(file.error);
      const name = attachment.fileName ?? attachmentId;
      return new Response(file.value.bytes, {
        headers: {
          "content-type": attachment.mimetype ?? file.value.mimeType,
          "content-length": String(file.value.bytes.byteLength),
          // An ASCII fallback, and the exact name (RFC 6266 / 5987) for clients that read it.
          "content-disposition": `inline; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
          "cache-control": "private, max-age=300",
        },
      });
    });
}
