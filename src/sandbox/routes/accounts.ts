/**
 * @module sandbox/routes/accounts
 * `/api/v1/accounts` (WhatsApp QR and pairing-code checkpoints, reconnect,
 * list, one, delete) and `/api/v1/hosted/accounts/link`.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SandboxContext } from "../context";
import { invalidParameters } from "../errors";
import { requirePhone } from "../message-actions";
import { page, readPageQuery } from "../paging";
import { jsonBody, queryOf } from "../request";
import type { SandboxAccount } from "../store";
import { accountView } from "../views";

const ConnectBody = z.looseObject({
  provider: z.string(),
  pairing_phone_number: z.string().optional(),
});

const HostedLinkBody = z.looseObject({
  type: z.enum(["create", "reconnect"]),
  providers: z.union([z.string(), z.array(z.string())]).optional(),
  reconnect_account: z.string().optional(),
  api_url: z.url(),
  expiresOn: z.string().refine((v) => new Date(v).toISOString() === v, "must be ISO 8601 with milliseconds"),
  name: z.string().min(1).optional(),
  notify_url: z.url().optional(),
});

/** The checkpoint answer; the pairing-code variant adds `pairing_code` to the QR checkpoint (shape undocumented). */
const checkpoint = (account: SandboxAccount) => ({
  object: "Checkpoint" as const,
  account_id: account.id,
  checkpoint: {
    type: "QRCODE" as const,
    qrcode: account.qrcode,
    ...(account.pairingCode ? { pairing_code: account.pairingCode } : {}),
  },
});

export function accountRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const onlyWhatsapp = (provider: string) => {
    if (provider !== "WHATSAPP") throw invalidParameters("This sandbox emulates WhatsApp accounts only.");
  };

  app.post("/accounts", async (c) => {
    const body = await jsonBody(c, ConnectBody);
    onlyWhatsapp(body.provider);
    const pairingPhone =
      body.pairing_phone_number === undefined ? undefined : requirePhone(body.pairing_phone_number, "pairing_phone_number");
    return c.json(checkpoint(ctx.accounts.create({ pairingPhone })), 202);
  });

  app.post("/accounts/:id", async (c) => {
    const body = await jsonBody(c, ConnectBody);
    onlyWhatsapp(body.provider);
    const account = ctx.store.requireAccount(c.req.param("id"));
    return c.json(checkpoint(ctx.accounts.reconnect(account)), 202);
  });

  app.get("/accounts", (c) => {
    const query = readPageQuery(queryOf(c), {});
    const result = page(ctx.store.accounts.values(), (a) => ({ date: a.createdAt, id: a.id }), query);
    return c.json({ object: "AccountList", items: result.items.map(accountView), cursor: result.cursor });
  });

  app.get("/accounts/:id", (c) => c.json(accountView(ctx.store.requireAccount(c.req.param("id")))));

  app.delete("/accounts/:id", (c) => {
    ctx.accounts.remove(ctx.store.requireAccount(c.req.param("id")));
    return c.json({ object: "AccountDeleted" });
  });

  app.post("/hosted/accounts/link", async (c) => {
    const body = await jsonBody(c, HostedLinkBody);
    const notify = body.notify_url ? { url: body.notify_url, name: body.name ?? "" } : undefined;
    let account: SandboxAccount;
    if (body.type === "reconnect") {
      if (!body.reconnect_account) throw invalidParameters("reconnect_account is required for type reconnect.");
      account = ctx.accounts.reconnect(ctx.store.requireAccount(body.reconnect_account), notify);
    } else {
      account = ctx.accounts.create({ hostedNotify: notify });
    }
    // The hosted page is the sandbox's scan control: POST there to "scan".
    const url = `${new URL(c.req.url).origin}/sandbox/accounts/${account.id}/scan`;
    return c.json({ object: "HostedAuthUrl", url }, 201);
  });

  return app;
}
