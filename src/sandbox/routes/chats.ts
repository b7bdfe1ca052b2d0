/**
 * @module sandbox/routes/chats
 * `/api/v1/chats`: list (newest activity first), one (with `lastMessage`),
 * PATCH actions, attendees, and `POST /chats` (multipart: account_id,
 * repeated attendees_ids, text, subject, attachments) which reuses an
 * existing 1:1 chat as Unipile does.
 */
import { Hono } from "hono";
import { z } from "zod";
import { fromFiles } from "../attachments";
import type { SandboxContext } from "../context";
import { errorBody, invalidParameters, SandboxApiError } from "../errors";
import { phoneDigits } from "../ids";
import { requirePhone, requireTextWithinLimit } from "../message-actions";
import { page, readDate, readPageQuery } from "../paging";
import { formFiles, formString, jsonBody, multipartBody, queryOf } from "../request";
import type { SandboxChat } from "../store";
import { attendeeView, chatView, messageView } from "../views";

const PatchBody = z.object({ action: z.string(), value: z.unknown().optional() });

export function chatRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  app.get("/chats", (c) => {
    const q = queryOf(c);
    const query = readPageQuery(q, {
      account_id: q.account_id ? q.account_id.split(",") : undefined,
      account_type: q.account_type,
      unread: q.unread === undefined ? undefined : q.unread === "true",
      before: readDate(q.before, "before"),
      after: readDate(q.after, "after"),
    });
    const f = query.filters as { account_id?: string[]; account_type?: string; unread?: boolean; before?: string; after?: string };
    if (f.account_type && f.account_type !== "WHATSAPP") {
      return c.json({ object: "ChatList", items: [], cursor: null });
    }
    const chats = [...store.chats.values()].filter(
      (chat) =>
        (!f.account_id || f.account_id.includes(chat.accountId)) &&
        (f.unread === undefined || (chat.unreadCount > 0) === f.unread) &&
        (!f.before || chat.timestamp < f.before) &&
        (!f.after || chat.timestamp > f.after),
    );
    const result = page(chats, (chat) => ({ date: chat.timestamp, id: chat.id }), query);
    return c.json({ object: "ChatList", items: result.items.map((chat) => chatView(chat, store)), cursor: result.cursor });
  });

  app.get("/chats/:id", (c) => {
    const chat = findChat(ctx, c.req.param("id"), c.req.query("account_id"));
    const messages = store.chatMessages(chat.id);
    const last = messages.reduce<(typeof messages)[number] | undefined>(
      (newest, m) => (!newest || m.timestamp > newest.timestamp ? m : newest),
      undefined,
    );
    return c.json({ ...chatView(chat, store), lastMessage: last ? messageView(last, store) : null });
  });

  app.patch("/chats/:id", async (c) => {
    const chat = store.requireChat(c.req.param("id"));
    ctx.messages.requireOk(store.requireAccount(chat.accountId));
    const body = await jsonBody(c, PatchBody);
    switch (body.action) {
      case "setReadStatus":
        if (typeof body.value !== "boolean") throw invalidParameters("value must be a boolean.");
        chat.unreadCount = body.value ? 0 : Math.max(chat.unreadCount, 1);
        break;
      case "setMuteStatus":
        chat.mutedUntil = body.value === true ? -1 : null;
        break;
      case "setArchiveStatus":
        chat.archived = body.value === true ? 1 : 0;
        break;
      default:
        throw new SandboxApiError(errorBody(400, "errors/invalid_action", `Action ${body.action} is not supported.`));
    }
    return c.json({ object: "ChatPatched" });
  });

  app.get("/chats/:id/attendees", (c) => {
    const chat = store.requireChat(c.req.param("id"));
    const account = store.requireAccount(chat.accountId);
    const members = [store.selfAttendee(account), ...chat.attendeeIds.flatMap((id) => store.attendees.get(id) ?? [])];
    return c.json({ object: "ChatAttendeeList", items: members.map(attendeeView) });
  });

  app.post("/chats", async (c) => {
    const form = await multipartBody(c);
    requireTextWithinLimit(formString(form, "text"));
    const accountId = formString(form, "account_id");
    if (!accountId) throw invalidParameters("account_id is required.");
    const attendees = form.getAll("attendees_ids").filter((v): v is string => typeof v === "string");
    if (attendees.length === 0) throw invalidParameters("attendees_ids is required.");
    const account = store.requireAccount(accountId);
    ctx.messages.requireOk(account);
    const contacts = attendees.map((id) => {
      if (!/^\d+@s\.whatsapp\.net$/.test(id)) {
        throw invalidParameters("User ID does not match provider's expected format.");
      }
      return store.contact(account.id, requirePhone(phoneDigits(id), "attendees_ids"));
    });
    const subject = formString(form, "subject") ?? formString(form, "title");
    const chat: SandboxChat =
      contacts.length === 1 && !subject
        ? store.directChat(account.id, contacts[0]!)
        : ctx.messages.groupChat(account, subject ?? contacts.map((a) => a.name).join(", "), contacts);
    const attachments = await fromFiles(formFiles(form, "attachments"));
    const text = formString(form, "text") ?? "";
    const message = ctx.messages.writeAsAccount(account, chat, text, attachments);
    return c.json({ object: "ChatStarted", chat_id: chat.id, message_id: message.id }, 201);
  });

  return app;
}

/** A chat by Unipile id, or by provider id together with `account_id`. */
export function findChat(ctx: SandboxContext, id: string, accountId?: string): SandboxChat {
  const chat = ctx.store.chats.get(id);
  if (chat) return chat;
  if (accountId) {
    for (const candidate of ctx.store.chats.values()) {
      if (candidate.accountId === accountId && candidate.providerId === id) return candidate;
    }
  }
  return ctx.store.requireChat(id);
}
