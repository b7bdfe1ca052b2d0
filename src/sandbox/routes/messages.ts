/**
 * @module sandbox/routes/messages
 * Messages (newest first, keyset-paged), one message, attachment bytes,
 * sending into a chat (multipart: text, repeated attachments, quote_id) and
 * chat attendees with their messages and chats.
 */
import { Hono } from "hono";
import { fromFiles } from "../attachments";
import type { SandboxContext } from "../context";
import { invalidParameters, notFound } from "../errors";
import { phoneJid } from "../ids";
import { requireTextWithinLimit } from "../message-actions";
import { page, readDate, readPageQuery } from "../paging";
import { formFiles, formString, multipartBody, queryOf } from "../request";
import type { SandboxAttendee, SandboxMessage } from "../store";
import { attendeeView, chatView, messageView } from "../views";

type MessageFilters = { account_id?: string; sender_id?: string; before?: string; after?: string };

export function messageRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  const listMessages = (q: Record<string, string | undefined>, source: () => Iterable<SandboxMessage>) => {
    const query = readPageQuery(q, {
      account_id: q.account_id,
      sender_id: q.sender_id,
      before: readDate(q.before, "before"),
      after: readDate(q.after, "after"),
    });
    const f = query.filters as MessageFilters;
    const matching = [...source()].filter(
      (m) =>
        (!f.account_id || m.accountId === f.account_id) &&
        (!f.sender_id || m.senderId === f.sender_id || m.senderAttendeeId === f.sender_id) &&
        (!f.before || m.timestamp < f.before) &&
        (!f.after || m.timestamp > f.after),
    );
    const result = page(matching, (m) => ({ date: m.timestamp, id: m.id }), query);
    return { object: "MessageList", items: result.items.map((m) => messageView(m, store)), cursor: result.cursor };
  };

  app.get("/chats/:id/messages", (c) => {
    const chat = store.requireChat(c.req.param("id"));
    return c.json(listMessages(queryOf(c), () => store.chatMessages(chat.id)));
  });

  app.post("/chats/:id/messages", async (c) => {
    const chat = store.requireChat(c.req.param("id"));
    const account = store.requireAccount(chat.accountId);
    ctx.messages.requireOk(account);
    const form = await multipartBody(c);
    const text = formString(form, "text");
    requireTextWithinLimit(text);
    const attachments = await fromFiles(formFiles(form, "attachments"));
    if ((text === undefined || text === "") && attachments.length === 0) {
      throw invalidParameters("A message needs text or attachments.");
    }
    const quoteId = formString(form, "quote_id");
    const message = ctx.messages.writeAsAccount(account, chat, text ?? "", attachments, quoteId || undefined);
    return c.json({ object: "MessageSent", message_id: message.id }, 201);
  });

  app.get("/messages", (c) => c.json(listMessages(queryOf(c), () => store.messages.values())));

  app.get("/messages/:id", (c) => c.json(messageView(store.requireMessage(c.req.param("id")), store)));

  app.get("/messages/:id/attachments/:attachmentId", (c) => {
    const message = store.requireMessage(c.req.param("id"));
    const attachment = message.attachments.find((a) => a.id === c.req.param("attachmentId"));
    if (!attachment || message.deleted) throw notFound("Attachment");
    return c.body(attachment.bytes.slice().buffer, 200, { "Content-Type": attachment.mimetype });
  });

  const findAttendee = (id: string, accountId?: string): SandboxAttendee => {
    const byId = store.attendees.get(id);
    if (byId) return byId;
    for (const a of store.attendees.values()) {
      if ((!accountId || a.accountId === accountId) && (phoneJid(a.phone) === id || a.lid === id)) return a;
    }
    throw notFound("Attendee");
  };

  app.get("/chat_attendees", (c) => {
    const q = queryOf(c);
    const query = readPageQuery(q, { account_id: q.account_id });
    const accountId = (query.filters as { account_id?: string }).account_id;
    const attendees = [...store.attendees.values()].filter((a) => !accountId || a.accountId === accountId);
    const result = page(attendees, (a) => ({ date: "", id: a.id }), query);
    return c.json({ object: "ChatAttendeeList", items: result.items.map(attendeeView), cursor: result.cursor });
  });

  app.get("/chat_attendees/:id", (c) => c.json(attendeeView(findAttendee(c.req.param("id"), c.req.query("account_id")))));

  app.get("/chat_attendees/:id/messages", (c) => {
    const attendee = findAttendee(c.req.param("id"), c.req.query("account_id"));
    return c.json(
      listMessages(queryOf(c), () => [...store.messages.values()].filter((m) => m.senderAttendeeId === attendee.id)),
    );
  });

  app.get("/chat_attendees/:id/chats", (c) => {
    const attendee = findAttendee(c.req.param("id"), c.req.query("account_id"));
    const query = readPageQuery(queryOf(c), {});
    const chats = [...store.chats.values()].filter((chat) => chat.attendeeIds.includes(attendee.id));
    const result = page(chats, (chat) => ({ date: chat.timestamp, id: chat.id }), query);
    return c.json({ object: "ChatList", items: result.items.map((chat) => chatView(chat, store)), cursor: result.cursor });
  });

  return app;
}
