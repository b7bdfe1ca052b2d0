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
import { err, ok } from "../lib/result";
import { type Caller, createCaller, type GatewayLogger, type RetryOptions, type UnipileResult } from "./gateway-retry";
import { createTimedClient } from "./gateway-transport";
import type { RequestBudget } from "./request-budget";
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
export type { GatewayLogger, RetryOptions, UnipileResult } from "./gateway-retry";

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

type Client = ReturnType<typeof createTimedClient>;

/** Builds the gateway; no I/O until a function is called. */
export function createUnipileGateway(options: UnipileGatewayOptions) {
  const client = createTimedClient({
    baseUrl: options.dsn.replace(/\/+$/, ""),
    accessToken: options.accessToken,
    timeoutMs: options.timeoutMs,
    validate: options.validateResponses ?? false,
  });
  const caller = createCaller(options);
  return { ...accountCalls(client, caller), ...messagingCalls(client, caller), ...webhookCalls(client, caller) };
}

/** The gateway's interface, for injection and fakes. */
export type UnipileGateway = ReturnType<typeof createUnipileGateway>;

const pageParams = (q: ListQuery) => ({
  ...(q.cursor ? { cursor: q.cursor } : {}),
  ...(q.limit ? { limit: q.limit } : {}),
  ...(q.before ? { before: q.before } : {}),
  ...(q.after ? { after: q.after } : {}),
});
const files = (attachments?: OutgoingAttachment[]) =>
  attachments?.map((a): [string, Buffer] => [a.fileName, Buffer.from(a.bytes)]);

/** Linking, reconnecting, reading and deleting accounts. */
function accountCalls(client: Client, { run, read }: Caller) {
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
  };
}

/** Chats, messages, attachments and sending. */
function messagingCalls(client: Client, { run, read }: Caller) {
  return {
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
  };
}

/** The webhooks registered at Unipile. */
function webhookCalls(client: Client, { run, read }: Caller) {
  return {
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
