/**
 * @module sandbox/routes/controls
 * `/sandbox/...`: what Unipile's API cannot do but tests and demos need:
 * the phone scanning a QR, status changes, contacts writing, the account's
 * phone writing, reactions/reads/edits/deletions/delivery receipts, history,
 * faults, and the webhook delivery log.
 */
import { maxConcurrent } from "../request-log";
import { Hono } from "hono";
import { z } from "zod";
import { makeAttachment } from "../attachments";
import type { SandboxContext } from "../context";
import { invalidParameters } from "../errors";
import { requirePhone } from "../message-actions";
import { FaultsBodySchema } from "../faults";
import { seedHistory } from "../history";
import { jsonBody } from "../request";
import type { SandboxAccount, SandboxMessage } from "../store";
import { ACCOUNT_STATUS_MESSAGES } from "../webhook-bodies";
import { messageControlRoutes } from "./message-controls";

const History = z.object({
  chats: z.number().int().min(0).max(5000),
  messages_per_chat: z.number().int().min(0).max(20000),
});
const ScanBody = z.object({ phone_number: z.string().optional(), name: z.string().optional(), history: History.optional() });
const StatusBody = z.object({ message: z.enum(ACCOUNT_STATUS_MESSAGES) });
const AttachmentInput = z.object({
  file_name: z.string().min(1),
  mimetype: z.string().optional(),
  type: z.enum(["img", "video", "audio", "file"]).optional(),
  content_base64: z.string().optional(),
});
const IncomingBody = z.object({
  from: z.string(),
  name: z.string().optional(),
  text: z.string().nullable().default(""),
  chat_id: z.string().optional(),
  group: z.object({ subject: z.string(), id: z.string().optional(), members: z.array(z.string()).default([]) }).optional(),
  attachments: z.array(AttachmentInput).default([]),
  quote: z.string().optional(),
  /** The contact writes as a privacy linked id (`<n>@lid`). */
  lid: z.boolean().default(false),
});
const OutgoingBody = z.object({
  to: z.string().optional(),
  chat_id: z.string().optional(),
  text: z.string().default(""),
  attachments: z.array(AttachmentInput).default([]),
  quote: z.string().optional(),
});

export const toAttachments = (inputs: z.infer<typeof AttachmentInput>[]) =>
  inputs.map((a) =>
    makeAttachment({
      fileName: a.file_name,
      mimetype: a.mimetype,
      type: a.type,
      bytes: a.content_base64 ? new Uint8Array(Buffer.from(a.content_base64, "base64")) : new TextEncoder().encode(`sandbox file ${a.file_name}`),
    }),
  );

const messageAnswer = (m: SandboxMessage) => ({ object: "SandboxMessage", message_id: m.id, chat_id: m.chatId });

export function controlRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const { store } = ctx;
  const account = (id: string): SandboxAccount => store.requireAccount(id);
  const seed = (history: z.infer<typeof History>) => (a: SandboxAccount) =>
    seedHistory(store, ctx.messages, a, { chats: history.chats, messagesPerChat: history.messages_per_chat, endMs: ctx.now() });

  app.post("/accounts/:id/scan", async (c) => {
    const body = await jsonBody(c, ScanBody);
    const target = account(c.req.param("id"));
    ctx.accounts.scan(target, {
      phone: body.phone_number === undefined ? undefined : requirePhone(body.phone_number, "phone_number"),
      name: body.name,
      seedHistory: body.history ? seed(body.history) : undefined,
    });
    return c.json({ object: "SandboxAccount", account_id: target.id, status: target.status, phone_number: target.phone });
  });

  app.post("/accounts/:id/status", async (c) => {
    const body = await jsonBody(c, StatusBody);
    const target = account(c.req.param("id"));
    ctx.accounts.setStatus(target, body.message);
    return c.json({ object: "SandboxAccount", account_id: target.id, status: store.accounts.get(target.id)?.status ?? "DELETED" });
  });

  app.post("/accounts/:id/history", async (c) => {
    const body = await jsonBody(c, History);
    const chatIds = seed(body)(account(c.req.param("id")));
    return c.json({ object: "SandboxHistory", chat_ids: chatIds, messages: chatIds.length * body.messages_per_chat });
  });

  app.post("/accounts/:id/incoming", async (c) => {
    const body = await jsonBody(c, IncomingBody);
    const target = account(c.req.param("id"));
    const contact = store.contact(target.id, requirePhone(body.from, "from"), body.name, body.lid);
    const deliver = () => {
      const chat = body.group
        ? ctx.messages.groupChat(target, body.group.subject, [
            contact,
            ...body.group.members.map((p) => store.contact(target.id, requirePhone(p, "members"))),
          ], body.group.id)
        : body.chat_id
          ? store.requireChat(body.chat_id)
          : store.directChat(target.id, contact);
      if (chat.accountId !== target.id) throw invalidParameters("chat_id belongs to another account.");
      if (!chat.attendeeIds.includes(contact.id)) chat.attendeeIds.push(contact.id);
      return ctx.messages.write({ chat, sender: contact, text: body.text, attachments: toAttachments(body.attachments), quoteId: body.quote });
    };
    if (target.status !== "OK") {
      // WhatsApp holds the message on the phone; Unipile gets it after the reconnection.
      target.pending.push(() => void deliver());
      return c.json({ object: "SandboxMessage", queued: true }, 202);
    }
    return c.json(messageAnswer(deliver()), 201);
  });

  app.post("/accounts/:id/outgoing", async (c) => {
    const body = await jsonBody(c, OutgoingBody);
    const target = account(c.req.param("id"));
    ctx.messages.requireOk(target);
    const chat = body.chat_id
      ? store.requireChat(body.chat_id)
      : body.to
        ? store.directChat(target.id, store.contact(target.id, requirePhone(body.to, "to")))
        : undefined;
    if (!chat || chat.accountId !== target.id) throw invalidParameters("Give to (a phone) or chat_id of this account.");
    const message = ctx.messages.writeAsAccount(target, chat, body.text, toAttachments(body.attachments), body.quote);
    return c.json(messageAnswer(message), 201);
  });

  app.route("/accounts/:id/messages", messageControlRoutes(ctx));

  app.post("/faults", async (c) => {
    ctx.faults.apply(await jsonBody(c, FaultsBodySchema));
    return c.json({ object: "SandboxFaults", ...ctx.faults.snapshot() });
  });
  app.get("/faults", (c) => c.json({ object: "SandboxFaults", ...ctx.faults.snapshot() }));
  app.delete("/faults", (c) => {
    ctx.faults.clear();
    ctx.deliverer.resume();
    return c.json({ object: "SandboxFaults", ...ctx.faults.snapshot() });
  });

  app.get("/deliveries", (c) => {
    const { webhook_id, event, account_id } = c.req.query();
    const items = ctx.deliverer
      .log()
      .filter((d) => (!webhook_id || d.webhook_id === webhook_id) && (!event || d.event === event) && (!account_id || d.account_id === account_id));
    return c.json({ object: "SandboxDeliveryList", items });
  });
  app.get("/requests", (c) => {
    const { method, path_prefix } = c.req.query();
    const items = ctx.requests.entries().filter((r) => (!method || r.method === method) && (!path_prefix || r.path.startsWith(path_prefix)));
    return c.json({ object: "SandboxRequestList", max_concurrent: maxConcurrent(items), items });
  });
  app.delete("/requests", (c) => {
    ctx.requests.clear();
    return c.json({ object: "SandboxRequestList", items: [] });
  });
  app.post("/deliveries/resume", (c) => {
    ctx.deliverer.resume();
    return c.json({ object: "SandboxDeliveries", resumed: true });
  });

  return app;
}
