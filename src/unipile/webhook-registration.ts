/**
 * @module unipile/webhook-registration
 * `ensureWebhooks(gateway, {url, secret})`: at start-up, make Unipile hold
 * exactly one `messaging` webhook (all six message events) and one
 * `account_status` webhook pointing at our URL, both sending the shared
 * secret in `Unipile-Auth` and a JSON content type (API-created webhooks send
 * none by default). Idempotent: a matching webhook is kept; one pointing at
 * our URL with the wrong events or headers is replaced; extra copies pointing
 * at our URL are deleted. Webhooks pointing elsewhere are left alone.
 */
import { err, ok, type Result } from "../lib/result";
import type { UnipileFailure, UnipileGateway } from "./gateway";
import { MESSAGING_EVENTS } from "./payloads";
import type { RestWebhook } from "./payloads";

export interface EnsureWebhooksOptions {
  /** `PUBLIC_URL/api/unipile/webhook`. */
  url: string;
  /** Sent as the `Unipile-Auth` header value. */
  secret: string;
  logger?: { info?(object: object, message?: string): void; warn(object: object, message?: string): void };
}

export interface EnsureWebhooksReport {
  kept: string[];
  created: string[];
  deleted: string[];
}

type Source = "messaging" | "account_status";
const SOURCES: Source[] = ["messaging", "account_status"];

const headersFor = (secret: string) => [
  { key: "Unipile-Auth", value: secret },
  { key: "Content-Type", value: "application/json" },
];

const matches = (webhook: RestWebhook, source: Source, secret: string): boolean => {
  if (webhook.source !== undefined && webhook.source !== source) return false;
  if (!webhook.enabled) return false;
  const header = (key: string) => webhook.headers.find((h) => h.key.toLowerCase() === key.toLowerCase())?.value;
  if (header("Unipile-Auth") !== secret || !header("Content-Type")?.includes("application/json")) return false;
  if (source === "messaging") return MESSAGING_EVENTS.every((e) => webhook.events?.includes(e));
  return true;
};

/** Which of our sources a webhook at our URL serves: by `source`, else by its events. */
const sourceOf = (webhook: RestWebhook): Source =>
  webhook.source === "account_status" || (webhook.source === undefined && !webhook.events?.length) ? "account_status" : "messaging";

/** Makes sure our two webhooks exist, once each; returns what it did or the first failure. */
export async function ensureWebhooks(
  gateway: Pick<UnipileGateway, "listWebhooks" | "createWebhook" | "deleteWebhook">,
  options: EnsureWebhooksOptions,
): Promise<Result<EnsureWebhooksReport, UnipileFailure>> {
  const listed = await gateway.listWebhooks();
  if (!listed.ok) return listed;
  const report: EnsureWebhooksReport = { kept: [], created: [], deleted: [] };
  const ours = listed.value.filter((w) => w.request_url === options.url);

  for (const source of SOURCES) {
    const candidates = ours.filter((w) => sourceOf(w) === source);
    const keep = candidates.find((w) => matches(w, source, options.secret));
    for (const extra of candidates.filter((w) => w !== keep)) {
      const deleted = await gateway.deleteWebhook(extra.id);
      if (!deleted.ok && !(deleted.error.kind === "http" && deleted.error.status === 404)) return err(deleted.error);
      report.deleted.push(extra.id);
    }
    if (keep) {
      report.kept.push(keep.id);
      continue;
    }
    const created = await gateway.createWebhook({
      source,
      requestUrl: options.url,
      name: `commsync-${source}`,
      headers: headersFor(options.secret),
      ...(source === "messaging" ? { events: [...MESSAGING_EVENTS] } : {}),
    });
    if (!created.ok) return created;
    report.created.push(created.value.webhookId);
  }
  options.logger?.info?.({ ...report, url: options.url }, "unipile webhooks ensured");
  return ok(report);
}
