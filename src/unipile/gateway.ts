/**
 * @module unipile/gateway
 * The service's port to Unipile and the only importer of `unipile-node-sdk`.
 * `createUnipileGateway(options)` returns typed functions; each returns a
 * `Result` whose failure is a `UnipileFailure` (never throws for Unipile's
 * sake). Every call has a timeout; idempotent calls (reads, marking read) are
 * retried on timeouts, network errors and 5xx, and every call on 429/503,
 * with exponential backoff and jitter (between half and all of the step), or the server's `Retry-After`
 * when it sends one (read through the gateway's own transport, see
 * gateway-transport.ts), up to `retry.maxRetryAfterMs`; a longer Retry-After
 * is returned as the failure for the caller to schedule.
 */
import { err, ok, type Result } from "../lib/result";
import { metrics, startTimer } from "../platform/metrics";
import { isRetryable, toFailure, type UnipileFailure } from "./gateway-failures";
import { createTimedClient } from "./gateway-transport";
import type { RequestBudget } from "./request-budget";
import type { z } from "zod";
import {
  lenientListOf,
  listOf,
  type Misshapen,
  RestAccountSchema,
  RestAttendeeSchema,
  RestChatSchema,
  RestChatWithLastMessageSchema,
  RestMessageSchema,
  RestWebhookSchema,
  type RestAccount,
  type RestAttendee,
  type RestChat,
  type RestChatWithLastMessage,
  type RestMessage,
  type RestWebhook,
} from "./payloads";

export type { UnipileFailure } from "./gateway-failures";
export type UnipileResult<T> = Promise<Result<T, UnipileFailure>>;

export interface GatewayLogger {
  warn(object: object, message?: string): void;
  debug(object: object, message?: string): void;
}

export interface RetryOptions {
  /** Total attempts including the first. @default 3 */
  attempts: number;
  /** First backoff delay; doubles per retry. @default 250 */
  baseDelayMs: number;
  /** Backoff ceiling. @default 5000 */
  maxDelayMs: number;
  /** Longest Retry-After waited for; longer ones end the call with the 429/503. @default 30000 */
  maxRetryAfterMs?: number;
}

export interface UnipileGatewayOptions {
  /** `https://apiNN.unipile.com:PORT` or the sandbox URL; trailing slashes are removed (the SDK would build `//api/v1`). */
  dsn: string;
  accessToken: string;
  /** Per attempt. */
  timeoutMs: number;
  retry?: RetryOptions;
  logger?: GatewayLogger;
  /** Injectable for tests. @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** Requests per second shared by every caller, commands first; none: unbounded. */
  budget?: RequestBudget;
  /** Run the SDK's response validators at level 'error' (failures become `invalid_response`). @default false */
  validateResponses?: boolean;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}
/** A page of chats or messages: the items of an unexpected shape are set aside, not a failed page. */
export interface LenientPage<T> extends Page<T> {
  misshapen: Misshapen[];
}
export interface QrCheckpoint {
  accountId: string;
  /** WhatsApp's multi-device QR payload (`2@…`), to render as a QR code. */
  qrCode: string;
}
export interface PairingCheckpoint extends QrCheckpoint {
  /** Code to type in WhatsApp › Linked devices › Link with phone number, when Unipile gave one. */
  pairingCode: string | null;
}
export interface OutgoingAttachment {
  fileName: string;
  bytes: Uint8Array;
}
export interface ListQuery {
  cursor?: string;
  limit?: number;
  before?: string;
  after?: string;
}
export interface WebhookInput {
  source: "messaging" | "account_status";
  requestUrl: string;
  name?: string;
  headers?: Array<{ key: string; value: string }>;
  events?: string[];
  accountIds?: string[];
}

/** Operations a user waits for: they go before the sync and lookups in the request budget. */
const COMMANDS = new Set(["connectWhatsapp", "connectWhatsappWithPairingCode", "reconnectWhatsapp", "deleteAccount", "sendMessage", "startNewChat", "markChatRead", "getAttachment", "createWebhook", "deleteWebhook"]);

const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 3, baseDelayMs: 250, maxDelayMs: 5000, maxRetryAfterMs: 30_000 };

/** Builds the gateway; no I/O until a function is called. */
export function createUnipileGateway(options: UnipileGatewayOptions) {
  const client = createTimedClient({
    baseUrl: options.dsn.replace(/\/+$/, ""),
    accessToken: options.accessToken,
    timeoutMs: options.timeoutMs,
    validate: options.validateResponses ?? false,
  });
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  /** Runs `call` with retries; parses a 2xx body with `schema` when given. */
  async function run<T>(operation: string, idempotent: boolean, call: () => Promise<T>): UnipileResult<T> {
    for (let attempt = 1; ; attempt += 1) {
      let failure: UnipileFailure;
      await options.budget?.acquire(COMMANDS.has(operation) ? "command" : "background");
      const elapsed = startTimer();
      try {
        const value = await call();
        recordCall(operation, "ok", elapsed());
        return ok(value);
      } catch (error) {
        failure = await toFailure(error);
        recordCall(operation, failure.kind === "http" ? `http_${failure.status}` : failure.kind, elapsed());
      }
      const retryAfter = failure.kind === "http" ? failure.retryAfterMs : undefined;
      const canRetry =
        attempt < retry.attempts && isRetryable(failure, idempotent) && (retryAfter === undefined || retryAfter <= retry.maxRetryAfterMs);
      if (!canRetry) {
        options.logger?.debug({ operation, attempt, failure }, "unipile call failed");
        return err(failure);
      }
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      const delay = retryAfter ?? Math.round(backoff * (0.5 + random() / 2));
      options.logger?.warn({ operation, attempt, failure, delayMs: delay }, "unipile call failed, retrying");
      await sleep(delay);
    }
  }

  const parsed = <S extends z.ZodType>(schema: S) => (body: unknown): z.infer<S> => {
    const result = schema.safeParse(body);
    if (!result.success) throw new ShapeError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
    return result.data;
  };
  async function read<S extends z.ZodType>(operation: string, schema: S, call: () => Promise<unknown>): UnipileResult<z.infer<S>> {
    const result = await run(operation, true, call);
    return result.ok ? shaped(() => parsed(schema)(result.value)) : result;
  }
  const pageParams = (q: ListQuery) => ({
    ...(q.cursor ? { cursor: q.cursor } : {}),
    ...(q.limit ? { limit: q.limit } : {}),
    ...(q.before ? { before: q.before } : {}),
    ...(q.after ? { after: q.after } : {}),
  });
  const files = (attachments?: OutgoingAttachment[]) =>
    attachments?.map((a): [string, Buffer] => [a.fileName, Buffer.from(a.bytes)]);

  return {
    connectWhatsapp: async (): UnipileResult<QrCheckpoint> => {
      const r = await run("connectWhatsapp", false, () => client.account.connectWhatsapp());
      return r.ok ? ok({ accountId: r.value.account_id, qrCode: r.value.code }) : r;
    },
    /** Pairing-code variant (`pairing_phone_number`, digits with country code). */
    connectWhatsappWithPairingCode: async (phoneNumber: string): UnipileResult<PairingCheckpoint> => {
      const r = await run("connectWhatsappWithPairingCode", false, () =>
        client.account.connect({ provider: "WHATSAPP" }, { extra_params: { pairing_phone_number: phoneNumber.replace(/\D/g, "") } }),
      );
      if (!r.ok) return r;
      const body = r.value as { account_id?: string; checkpoint?: { qrcode?: string; pairing_code?: string; code?: string } };
      if (!body.account_id) return err({ kind: "invalid_response", message: "checkpoint without account_id", issues: [] });
      return ok({ accountId: body.account_id, qrCode: body.checkpoint?.qrcode ?? "", pairingCode: body.checkpoint?.pairing_code ?? body.checkpoint?.code ?? null });
    },
    reconnectWhatsapp: async (accountId: string): UnipileResult<QrCheckpoint> => {
      const r = await run("reconnectWhatsapp", false, () => client.account.reconnectWhatsapp(accountId));
      return r.ok ? ok({ accountId: r.value.account_id, qrCode: r.value.code }) : r;
    },
    getAccount: (accountId: string): UnipileResult<RestAccount> => read("getAccount", RestAccountSchema, () => client.account.getOne(accountId)),
    listAccounts: (q: Pick<ListQuery, "cursor" | "limit"> = {}): UnipileResult<Page<RestAccount>> =>
      read("listAccounts", listOf(RestAccountSchema), () => client.account.getAll(pageParams(q))),
    deleteAccount: async (accountId: string): UnipileResult<void> => {
      const r = await run("deleteAccount", false, () => client.account.delete(accountId));
      return r.ok ? ok(undefined) : r;
    },
    listChats: (q: ListQuery & { accountId?: string; unread?: boolean } = {}): UnipileResult<LenientPage<RestChat>> =>
      read("listChats", lenientListOf(RestChatSchema), () =>
        client.messaging.getAllChats({ ...pageParams(q), ...(q.accountId ? { account_id: q.accountId } : {}), ...(q.unread === undefined ? {} : { unread: q.unread }) }),
      ),
    getChat: (chatId: string): UnipileResult<RestChatWithLastMessage> =>
      read("getChat", RestChatWithLastMessageSchema, () => client.messaging.getChat(chatId)),
    listChatMessages: (q: ListQuery & { chatId: string }): UnipileResult<Page<RestMessage>> =>
      read("listChatMessages", listOf(RestMessageSchema), () => client.messaging.getAllMessagesFromChat({ chat_id: q.chatId, ...pageParams(q) })),
    listMessages: (q: ListQuery & { accountId?: string } = {}): UnipileResult<LenientPage<RestMessage>> =>
      read("listMessages", lenientListOf(RestMessageSchema), () =>
        client.messaging.getAllMessages({ ...pageParams(q), ...(q.accountId ? { account_id: q.accountId } : {}) }),
      ),
    getMessage: (messageId: string): UnipileResult<RestMessage> => read("getMessage", RestMessageSchema, () => client.messaging.getMessage(messageId)),
    getAttachment: async (q: { messageId: string; attachmentId: string }): UnipileResult<{ bytes: Uint8Array<ArrayBuffer>; mimeType: string }> => {
      const r = await run("getAttachment", true, () => client.messaging.getMessageAttachment({ message_id: q.messageId, attachment_id: q.attachmentId }));
      if (!r.ok) return r;
      if (!(r.value instanceof Blob)) return err({ kind: "invalid_response", message: "attachment answered as JSON, not bytes", issues: [] });
      return ok({ bytes: new Uint8Array(await r.value.arrayBuffer()), mimeType: r.value.type || "application/octet-stream" });
    },
    /** `text` is always sent (SDK 1.9.3 would send the string "undefined" without it). */
    sendMessage: async (q: { chatId: string; text: string; attachments?: OutgoingAttachment[]; quoteId?: string }): UnipileResult<{ messageId: string | null }> => {
      const r = await run("sendMessage", false, () =>
        client.messaging.sendMessage(
          { chat_id: q.chatId, text: q.text ?? "", ...(q.attachments?.length ? { attachments: files(q.attachments) } : {}) },
          q.quoteId ? { extra_params: { quote_id: q.quoteId } } : undefined,
        ),
      );
      return r.ok ? ok({ messageId: r.value.message_id ?? null }) : r;
    },
    startNewChat: async (q: { accountId: string; attendeeIds: string[]; text: string; subject?: string; attachments?: OutgoingAttachment[] }): UnipileResult<{ chatId: string | null; messageId: string | null }> => {
      const r = await run("startNewChat", false, () =>
        client.messaging.startNewChat({
          account_id: q.accountId,
          attendees_ids: q.attendeeIds,
          text: q.text ?? "",
          ...(q.subject ? { subject: q.subject } : {}),
          ...(q.attachments?.length ? { attachments: files(q.attachments) } : {}),
        }),
      );
      return r.ok ? ok({ chatId: r.value.chat_id ?? null, messageId: r.value.message_id ?? null }) : r;
    },
    /** PATCH setReadStatus; setting the same state twice is harmless, so it is retried like a read. */
    markChatRead: async (chatId: string, read = true): UnipileResult<void> => {
      const r = await run("markChatRead", true, () => client.messaging.setChatStatus({ chat_id: chatId, action: "setReadStatus", value: read }));
      return r.ok ? ok(undefined) : r;
    },
    listChatAttendees: async (chatId: string): UnipileResult<RestAttendee[]> => {
      const r = await read("listChatAttendees", listOf(RestAttendeeSchema), () => client.messaging.getAllAttendeesFromChat(chatId));
      return r.ok ? ok(r.value.items) : r;
    },
    /** Every webhook, all pages. */
    listWebhooks: async (): UnipileResult<RestWebhook[]> => {
      const all: RestWebhook[] = [];
      let cursor: string | null = null;
      do {
        const params: Record<string, string> = cursor ? { cursor } : { limit: "250" };
        const r = await read("listWebhooks", listOf(RestWebhookSchema), () => client.webhook.getAll({ extra_params: params }));
        if (!r.ok) return r;
        all.push(...r.value.items);
        cursor = r.value.cursor;
      } while (cursor);
      return ok(all);
    },
    createWebhook: async (input: WebhookInput): UnipileResult<{ webhookId: string }> => {
      const body = {
        source: input.source,
        request_url: input.requestUrl,
        format: "json",
        ...(input.name ? { name: input.name } : {}),
        ...(input.headers ? { headers: input.headers } : {}),
        ...(input.events ? { events: input.events } : {}),
        ...(input.accountIds ? { account_ids: input.accountIds } : {}),
      };
      // The SDK types `events` narrower than what Unipile accepts (edited/deleted/delivered).
      const r = await run("createWebhook", false, () => client.webhook.create(body as Parameters<typeof client.webhook.create>[0]));
      return r.ok ? ok({ webhookId: r.value.webhook_id }) : r;
    },
    deleteWebhook: async (webhookId: string): UnipileResult<void> => {
      const r = await run("deleteWebhook", false, () => client.webhook.delete(webhookId));
      return r.ok ? ok(undefined) : r;
    },
  };
}

/** The gateway's interface, for injection and fakes. */
export type UnipileGateway = ReturnType<typeof createUnipileGateway>;

class ShapeError extends Error {
  constructor(readonly issues: string[]) {
    super("response does not match the expected shape");
  }
}

const shaped = <T>(parse: () => T): Result<T, UnipileFailure> => {
  try {
    return ok(parse());
  } catch (error) {
    if (error instanceof ShapeError) return err({ kind: "invalid_response", message: error.message, issues: error.issues.slice(0, 5) });
    throw error;
  }
};

function recordCall(operation: string, outcome: string, seconds: number) {
  metrics.unipileRequests.inc({ operation, outcome });
  metrics.unipileDuration.observe({ operation, outcome }, seconds);
}
