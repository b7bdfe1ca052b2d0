/**
 * @module sandbox/routes/webhooks
 * `/api/v1/webhooks`: create (messaging, account_status and the other
 * sources Unipile knows), list, delete.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SandboxContext } from "../context";
import { notFound } from "../errors";
import { unipileId } from "../ids";
import { page, readPageQuery } from "../paging";
import { jsonBody, queryOf } from "../request";
import type { SandboxWebhook } from "../store";
import { webhookView } from "../views";
import { MESSAGING_EVENTS } from "../webhook-bodies";

const CreateBody = z.object({
  source: z.enum(["messaging", "account_status", "email", "email_tracking", "users"]),
  request_url: z.url(),
  name: z.string().optional(),
  format: z.enum(["json", "form"]).default("json"),
  account_ids: z.array(z.string()).default([]),
  enabled: z.boolean().default(true),
  headers: z.array(z.object({ key: z.string().min(1), value: z.string() })).default([]),
  events: z.array(z.string()).optional(),
  data: z.array(z.object({ name: z.string(), key: z.string() })).default([]),
});

export function webhookRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const { store } = ctx;

  app.post("/webhooks", async (c) => {
    const body = await jsonBody(
      c,
      CreateBody.refine(
        (b) => b.source !== "messaging" || !b.events || b.events.every((e) => (MESSAGING_EVENTS as string[]).includes(e)),
        { message: `messaging events must be among ${MESSAGING_EVENTS.join(", ")}`, path: ["events"] },
      ),
    );
    for (const id of body.account_ids) store.requireAccount(id);
    const webhook: SandboxWebhook = {
      id: unipileId(),
      createdAt: store.nextTimestamp(),
      source: body.source,
      requestUrl: body.request_url,
      ...(body.name === undefined ? {} : { name: body.name }),
      format: body.format,
      headers: body.headers,
      accountIds: body.account_ids,
      enabled: body.enabled,
      ...(body.events ? { events: body.events } : {}),
      data: body.data,
    };
    store.webhooks.set(webhook.id, webhook);
    return c.json({ object: "WebhookCreated", webhook_id: webhook.id }, 201);
  });

  app.get("/webhooks", (c) => {
    const query = readPageQuery(queryOf(c), {});
    const result = page(store.webhooks.values(), (w) => ({ date: w.createdAt, id: w.id }), query);
    return c.json({
      object: "WebhookList",
      items: result.items.map((w) => webhookView(w, store)),
      cursor: result.cursor,
    });
  });

  app.delete("/webhooks/:id", (c) => {
    const id = c.req.param("id");
    if (!store.webhooks.delete(id)) throw notFound("Webhook");
    return c.json({ object: "WebhookDeleted" });
  });

  return app;
}
