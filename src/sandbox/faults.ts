/**
 * @module sandbox/faults
 * Fault injection: latency on every API call, error answers on routes
 * matching a method and path pattern (by rate or for the next N calls, with
 * `Retry-After` on 429/503), and webhook deliveries paused, dropped,
 * duplicated or delayed.
 */
import { z } from "zod";
import { defaultTypeFor, errorBody, SandboxApiError } from "./errors";

const HttpRuleSchema = z.object({
  method: z.string().toUpperCase().optional(),
  /** Path pattern, `*` matches any run of characters: `/api/v1/chats/*\/messages`. */
  path: z.string().min(1),
  status: z.number().int().min(400).max(599),
  type: z.string().optional(),
  detail: z.string().optional(),
  /** Probability per matching call, 0..1; default 1. */
  rate: z.number().min(0).max(1).optional(),
  /** Number of matching calls to fail; default unlimited. */
  count: z.number().int().min(1).optional(),
  retry_after_s: z.number().int().min(0).optional(),
});

const WebhookFaultSchema = z.object({
  mode: z.enum(["pause", "drop", "duplicate", "delay"]),
  delay_ms: z.number().int().min(0).optional(),
  /** Number of deliveries affected; default all until the faults are cleared. */
  count: z.number().int().min(1).optional(),
});

export const FaultsBodySchema = z.object({
  latency_ms: z.number().int().min(0).optional(),
  http: z.array(HttpRuleSchema).optional(),
  webhooks: WebhookFaultSchema.optional(),
});
export type FaultsBody = z.infer<typeof FaultsBodySchema>;
type HttpRule = z.infer<typeof HttpRuleSchema>;
export type WebhookFault = z.infer<typeof WebhookFaultSchema>;

export interface Faults {
  /** Adds rules, sets latency and the webhook fault (those given). */
  apply(body: FaultsBody): void;
  clear(): void;
  snapshot(): { latency_ms: number; http: HttpRule[]; webhooks: WebhookFault | null };
  latencyMs(): number;
  /** Throws the injected error when a rule matches this call. */
  check(method: string, path: string): void;
  /** The webhook fault applying to the next delivery, counting it down. */
  takeWebhookFault(): WebhookFault | null;
}

const toRegExp = (pattern: string): RegExp =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

/** Creates the fault state; `random` is injectable so rate tests can be exact. */
export function createFaults(random: () => number = Math.random): Faults {
  let latency = 0;
  let rules: Array<HttpRule & { regexp: RegExp; remaining: number }> = [];
  let webhookFault: (WebhookFault & { remaining: number }) | null = null;
  return {
    apply(body) {
      if (body.latency_ms !== undefined) latency = body.latency_ms;
      for (const rule of body.http ?? []) {
        rules.push({ ...rule, regexp: toRegExp(rule.path), remaining: rule.count ?? Number.POSITIVE_INFINITY });
      }
      if (body.webhooks) webhookFault = { ...body.webhooks, remaining: body.webhooks.count ?? Number.POSITIVE_INFINITY };
    },
    clear() {
      latency = 0;
      rules = [];
      webhookFault = null;
    },
    snapshot: () => ({
      latency_ms: latency,
      http: rules.map(({ regexp: _r, remaining, ...rule }) => ({
        ...rule,
        ...(Number.isFinite(remaining) ? { count: remaining } : {}),
      })),
      webhooks: webhookFault && {
        mode: webhookFault.mode,
        ...(webhookFault.delay_ms === undefined ? {} : { delay_ms: webhookFault.delay_ms }),
        ...(Number.isFinite(webhookFault.remaining) ? { count: webhookFault.remaining } : {}),
      },
    }),
    latencyMs: () => latency,
    check(method, path) {
      const rule = rules.find(
        (r) => r.remaining > 0 && (!r.method || r.method === method) && r.regexp.test(path),
      );
      if (!rule || random() >= (rule.rate ?? 1)) return;
      rule.remaining -= 1;
      rules = rules.filter((r) => r.remaining > 0);
      const type = rule.type ?? defaultTypeFor(rule.status);
      const headers: Record<string, string> =
        rule.retry_after_s === undefined ? {} : { "Retry-After": String(rule.retry_after_s) };
      throw new SandboxApiError(errorBody(rule.status, type, rule.detail ?? "Injected by the sandbox."), headers);
    },
    takeWebhookFault() {
      if (!webhookFault) return null;
      const fault = webhookFault;
      fault.remaining -= 1;
      if (fault.remaining <= 0) webhookFault = null;
      return fault;
    },
  };
}
