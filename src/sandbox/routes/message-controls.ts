/**
 * @module sandbox/routes/message-controls
 * `/sandbox/accounts/{id}/messages/{message_id}/{reaction|read|edit|delete|delivered}`:
 * things that happen to a stored message, each raising its webhook event;
 * `…/overrides`: fields its REST views show as given, of any JSON type.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SandboxContext } from "../context";
import { notFound } from "../errors";
import { requirePhone } from "../message-actions";
import { jsonBody } from "../request";
import type { SandboxAttendee, SandboxMessage } from "../store";
import { senderProviderId } from "../views";

/** `by`: a contact's phone, or "self" for the account. Default: the other side of the message. */
const By = z.object({ by: z.string().optional() });
const ReactionBody = By.extend({ value: z.string().min(1) });
const EditBody = z.object({ text: z.string() });
const OverridesBody = z.object({ fields: z.record(z.string(), z.unknown()) });

export function messageControlRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  const target = (accountId: string | undefined, messageId: string): SandboxMessage => {
    const message = store.requireMessage(messageId);
    if (message.accountId !== accountId) throw notFound("Message");
    return message;
  };
  /** Who acts: `by`, else the side that did not write the message. */
  const actor = (message: SandboxMessage, by?: string): SandboxAttendee => {
    const account = store.requireAccount(message.accountId);
    if (by === "self") return store.selfAttendee(account);
    if (by) return store.contact(account.id, requirePhone(by, "by"));
    if (!message.isSender) return store.selfAttendee(account);
    const chat = store.requireChat(message.chatId);
    return store.attendees.get(chat.attendeeIds[0] ?? "") ?? store.selfAttendee(account);
  };
  const done = (message: SandboxMessage) => ({ object: "SandboxMessage", message_id: message.id, chat_id: message.chatId });

  app.post("/:messageId/reaction", async (c) => {
    const body = await jsonBody(c, ReactionBody);
    const message = target(c.req.param("id"), c.req.param("messageId"));
    const who = actor(message, body.by);
    message.reactions = message.reactions.filter((r) => r.senderId !== senderProviderId(who));
    message.reactions.push({ value: body.value, senderId: senderProviderId(who), isSender: who.isSelf });
    ctx.messages.event(message, "message_reaction", {
      timestamp: store.nextTimestamp(),
      reaction: { value: body.value, sender: who },
    });
    return c.json(done(message));
  });

  app.post("/:messageId/read", async (c) => {
    const body = await jsonBody(c, By);
    const message = target(c.req.param("id"), c.req.param("messageId"));
    const who = actor(message, body.by);
    const at = store.nextTimestamp();
    message.seenBy[senderProviderId(who)] = at;
    message.delivered = true;
    ctx.messages.event(message, "message_read", { timestamp: at });
    return c.json(done(message));
  });

  app.post("/:messageId/edit", async (c) => {
    const body = await jsonBody(c, EditBody);
    const message = target(c.req.param("id"), c.req.param("messageId"));
    message.text = body.text;
    message.edited = true;
    ctx.messages.event(message, "message_edited", { timestamp: store.nextTimestamp() });
    return c.json(done(message));
  });

  app.post("/:messageId/delete", (c) => {
    const message = target(c.req.param("id"), c.req.param("messageId"));
    message.deleted = true;
    ctx.messages.event(message, "message_deleted", { timestamp: store.nextTimestamp() });
    return c.json(done(message));
  });

  /** Unipile answering with unexpected types: the REST views show these fields as given, no webhook. */
  app.post("/:messageId/overrides", async (c) => {
    const body = await jsonBody(c, OverridesBody);
    const message = target(c.req.param("id"), c.req.param("messageId"));
    message.overrides = { ...message.overrides, ...body.fields };
    return c.json(done(message));
  });

  app.post("/:messageId/delivered", (c) => {
    const message = target(c.req.param("id"), c.req.param("messageId"));
    message.delivered = true;
    ctx.messages.event(message, "message_delivered", { timestamp: store.nextTimestamp() });
    return c.json(done(message));
  });

  return app;
}
