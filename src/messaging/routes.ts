/**
 * @module messaging/routes
 * Reading conversations and messages, marking a conversation read, and
 * attachment downloads. A user sees only conversations of accounts they own;
 * another user's ids answer 404 like missing ones. Queries first let the
 * projections catch up with every event committed before the request, so a
 * webhook that was answered (or a send that returned) shows in the next read.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Queryable } from "../db/client";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { storableText } from "../http/input";
import type { ApiDocs } from "../http/openapi";
import { validate } from "../http/validation";
import type { ProjectionRunner } from "../projections/runner";
import type { UnipileGateway } from "../unipile/gateway";
import { upstreamError } from "../unipile/upstream-errors";
import { getConversationForUser, getMessageForUser, listConversations, listMessages } from "./queries";
import type { ReadService } from "./read-service";
import { ConversationSchema, conversationView, decodeCursor, encodeCursor, MessageSchema, messageView } from "./views";

export interface MessagingRoutesDeps {
  sql: Queryable;
  runner: ProjectionRunner;
  gateway: UnipileGateway;
  reads: ReadService;
  authenticated: MiddlewareHandler<AppEnv>;
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

export function registerMessagingRoutes(app: Hono<AppEnv>, deps: MessagingRoutesDeps, docs: ApiDocs) {
  const { sql, authenticated } = deps;
  const tags = ["conversations"];
  const caughtUp = () => deps.runner.catchUp(1000);

  docs.add({ method: "get", path: "/api/conversations", summary: "The caller's conversations, newest activity first (keyset pages)", tags, query: ConversationsQuery, responses: { 200: { description: "A page", schema: pageOf(ConversationSchema) } } });
  app.get("/api/conversations", authenticated, validate("query", ConversationsQuery), async (c) => {
    const { accountId, cursor, limit } = c.req.valid("query");
    const after = decodeCursor(cursor);
    await caughtUp();
    const page = await listConversations(sql, { userId: c.get("principal").userId, accountId, after, limit });
    return c.json({ items: page.items.map(conversationView), nextCursor: encodeCursor(page.next) });
  });

  docs.add({ method: "get", path: "/api/conversations/:id", summary: "One conversation", tags, params: ConversationParam, responses: { 200: { description: "The conversation", schema: ConversationSchema } } });
  app.get("/api/conversations/:id", authenticated, validate("param", ConversationParam), async (c) => {
    await caughtUp();
    const row = await getConversationForUser(sql, c.req.valid("param").id, c.get("principal").userId);
    if (!row) throw notFound();
    return c.json(conversationView(row));
  });

  docs.add({ method: "get", path: "/api/conversations/:id/messages", summary: "A conversation's messages, newest first (keyset pages)", tags, params: ConversationParam, query: PageQuery, responses: { 200: { description: "A page", schema: pageOf(MessageSchema) } } });
  app.get("/api/conversations/:id/messages", authenticated, validate("param", ConversationParam), validate("query", PageQuery), async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const after = decodeCursor(cursor);
    await caughtUp();
    const conversation = await getConversationForUser(sql, c.req.valid("param").id, c.get("principal").userId);
    if (!conversation) throw notFound();
    const page = await listMessages(sql, { conversationId: conversation.id, after, limit });
    return c.json({ items: page.items.map((m) => messageView(m, conversation.readUpTo)), nextCursor: encodeCursor(page.next) });
  });

  docs.add({ method: "post", path: "/api/conversations/:id/read", summary: "Marks the conversation read, here and at Unipile", tags, params: ConversationParam, responses: { 200: { description: "The conversation, unread count 0", schema: z.object({ conversation: ConversationSchema, syncedToUnipile: z.boolean() }) } } });
  app.post("/api/conversations/:id/read", authenticated, validate("param", ConversationParam), async (c) => {
    const result = await deps.reads.markRead({ userId: c.get("principal").userId, requestId: c.get("requestId") }, c.req.valid("param").id);
    if (!result.ok) throw result.error.code === "UPSTREAM" ? upstreamError(result.error.failure) : notFound();
    return c.json({ conversation: conversationView(result.value.conversation), syncedToUnipile: result.value.syncedToUnipile });
  });

  docs.add({ method: "get", path: "/api/messages/:id/attachments/:attachmentId", summary: "An attachment's bytes, fetched from Unipile", tags, params: AttachmentParam, responses: { 200: { description: "The file", contentType: "application/octet-stream" } } });
  app.get("/api/messages/:id/attachments/:attachmentId", authenticated, validate("param", AttachmentParam), async (c) => {
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
