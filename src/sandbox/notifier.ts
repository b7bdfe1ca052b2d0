/**
 * @module sandbox/notifier
 * Turns sandbox events into deliveries for the webhooks that want them:
 * filtered by source, `account_ids` (empty = every account, present and
 * future) and `events` (messaging default: `message_received` only), with
 * `webhook_name` and the `data` key renames applied per webhook.
 */
import type { Deliverer } from "./deliveries";
import type { SandboxStore, SandboxWebhook } from "./store";
import { accountStatusBody, hostedAuthBody, type AccountStatusMessage, type MessagingBody } from "./webhook-bodies";

export interface Notifier {
  messaging(body: MessagingBody): void;
  accountStatus(accountId: string, message: AccountStatusMessage): void;
  hostedAuth(url: string, status: "CREATION_SUCCESS" | "RECONNECTED", accountId: string, name: string): void;
}

const wantsAccount = (webhook: SandboxWebhook, accountId: string) =>
  webhook.accountIds.length === 0 || webhook.accountIds.includes(accountId);

const headersOf = (webhook: SandboxWebhook): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const { key, value } of webhook.headers) headers[key] = value;
  if (webhook.format === "form" && !Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
  }
  return headers;
};

/** JSON, or form fields with nested values as JSON strings (format "form"). */
const serialise = (webhook: SandboxWebhook, body: Record<string, unknown>): string => {
  if (webhook.format === "json") return JSON.stringify(body);
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    form.append(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  return form.toString();
};

const withName = (webhook: SandboxWebhook, body: MessagingBody): Record<string, unknown> => {
  const { event, account_id, account_type, account_info, ...rest } = body;
  const named: Record<string, unknown> = {
    event,
    account_id,
    account_type,
    account_info,
    webhook_name: webhook.name ?? "",
    ...rest,
  };
  for (const { key, name } of webhook.data) {
    if (key in named && key !== name) {
      named[name] = named[key];
      delete named[key];
    }
  }
  return named;
};

export function createNotifier(store: SandboxStore, deliverer: Deliverer): Notifier {
  const enabled = (source: string) => [...store.webhooks.values()].filter((w) => w.enabled && w.source === source);
  return {
    messaging(body) {
      for (const webhook of enabled("messaging")) {
        if (!wantsAccount(webhook, body.account_id)) continue;
        if (!(webhook.events ?? ["message_received"]).includes(body.event)) continue;
        deliverer.enqueue({
          webhook,
          url: webhook.requestUrl,
          headers: headersOf(webhook),
          body: serialise(webhook, withName(webhook, body)),
          event: body.event,
          accountId: body.account_id,
        });
      }
    },
    accountStatus(accountId, message) {
      for (const webhook of enabled("account_status")) {
        if (!wantsAccount(webhook, accountId)) continue;
        if (webhook.events && !webhook.events.map((e) => e.toUpperCase()).includes(message)) continue;
        deliverer.enqueue({
          webhook,
          url: webhook.requestUrl,
          headers: headersOf(webhook),
          body: serialise(webhook, accountStatusBody(accountId, message)),
          event: message,
          accountId,
        });
      }
    },
    hostedAuth(url, status, accountId, name) {
      // notify_url callbacks carry no custom headers; Unipile documents none.
      deliverer.enqueue({
        webhook: null,
        url,
        headers: {},
        body: JSON.stringify(hostedAuthBody(status, accountId, name)),
        event: status,
        accountId,
      });
    },
  };
}
