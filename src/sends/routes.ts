/**
 * @module sends/routes
 * `POST /api/unipile/message`: CommSync's send. The body is JSON
 * `{content, recipients, accountId, platform?, chatId?, quoteId?, subject?}`,
 * or the same fields as multipart/form-data with files under `attachments`.
 * An `Idempotency-Key` header makes retries (even concurrent ones) send once.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { ApiError, describeIssues } from "../http/errors";
import { jsonMaxDepth, parseJsonText, readJsonBody } from "../http/json-body";
import { isStorableText, STORABLE_TEXT_MESSAGE } from "../http/input";
import { EXAMPLES } from "../http/examples";
import { BEARER, ERRORS, IDEMPOTENCY_KEY_DESCRIPTION, json, openapiOwnBody, type RouteGuards } from "../http/openapi-app";
import { looksLikeRecipient } from "../lib/national-phone";
import { upstreamError } from "../unipile";
import { WHATSAPP_MAX_TEXT_LENGTH } from "../conversations";
import { getMessageForUser } from "../conversations";
import { completeRecipients } from "./recipients";
import type { OutgoingFile, SendError, SendService } from "./service";
import { MessageSchema, messageView } from "../conversations";
import type { Queryable } from "../db/client";

export interface SendRoutesDeps {
  sql: Queryable;
  sends: SendService;
  /** Shedding, the body limit of sends (they carry attachments) and the JWT check. */
  guards: RouteGuards;
  /** Largest attachment accepted, in bytes. */
  maxAttachmentBytes: number;
}

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;
const MULTIPART_TYPE = /^multipart\/form-data\s*;/i;

/**
 * Text a send may carry. A NUL or half a surrogate pair (an emoji cut in two)
 * cannot be stored, nor sent as the caller wrote it: refused with a 400
 * naming the field, rather than sent and recorded as something else.
 */
const text = () => z.string().refine(isStorableText, STORABLE_TEXT_MESSAGE);

const Recipients = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((r) => r.trim()).filter((r) => r !== ""));

export const SendBody = z
  .object({
    content: text().default("").describe("The text; may be empty when attachments are sent"),
    recipients: Recipients.optional().describe("Phone numbers (E.164, digits with country code, or up to 10 national digits completed with the country of the account's own number); one reuses the existing 1:1 chat"),
    accountId: z.uuid({ error: "accountId must be the UUID of one of your accounts" }),
    platform: text().optional().describe("unipile or whatsapp (any case), or left out: both mean WhatsApp through Unipile"),
    chatId: z.uuid({ error: "chatId must be a conversation id (UUID)" }).optional().describe("Answer in this conversation"),
    quoteId: text().min(1).max(200).optional().describe("Reply to this message (our id or Unipile's)"),
    subject: text().trim().min(1).max(100).optional().describe("Group name when starting a chat with several recipients"),
  })
  .superRefine((body, ctx) => {
    if (body.platform !== undefined && !["whatsapp", "unipile"].includes(body.platform.toLowerCase())) {
      ctx.addIssue({ code: "custom", path: ["platform"], message: "must be unipile or whatsapp (or left out)" });
    }
    if ([...body.content].length > WHATSAPP_MAX_TEXT_LENGTH) {
      ctx.addIssue({ code: "custom", path: ["content"], message: `longer than WhatsApp's ${WHATSAPP_MAX_TEXT_LENGTH} characters` });
    }
    if (!body.chatId && (body.recipients ?? []).length === 0) {
      ctx.addIssue({ code: "custom", path: ["recipients"], message: "give recipients (phone numbers) or a chatId" });
    }
    (body.recipients ?? []).forEach((r, i) => {
      if (!looksLikeRecipient(r)) ctx.addIssue({ code: "custom", path: ["recipients", i], message: `${r} is not a phone number with country code` });
    });
  });

const BinaryFile = z.file().openapi({ type: "string", format: "binary" });

/** The multipart form of a send, as documented: the JSON fields as form fields, and the files. */
const SendForm = z
  .object({
    content: z.string().optional().describe("The text; may be empty when attachments are sent"),
    recipients: z.union([z.string(), z.array(z.string())]).optional().describe("Repeat the field, separate numbers with commas, or give a JSON array"),
    accountId: z.uuid(),
    platform: z.string().optional(),
    chatId: z.uuid().optional(),
    quoteId: z.string().optional(),
    subject: z.string().optional(),
    attachments: z.union([BinaryFile, z.array(BinaryFile)]).optional().describe("The files (each at most MAX_ATTACHMENT_BYTES)"),
  })
  .meta({ id: "SendForm" });

const SendResponse = z.object({
  success: z.literal(true),
  messageId: z.uuid(),
  conversationId: z.uuid().nullable(),
  sendId: z.uuid(),
  status: z.string(),
  replayed: z.boolean().describe("True when this repeats the answer to an earlier request with the same Idempotency-Key"),
  message: MessageSchema.nullable(),
}).meta({ id: "SendResult" });

const sendRoute = createRoute({
  method: "post",
  path: "/api/unipile/message",
  operationId: "sendMessage",
  tags: ["messages"],
  summary: "Sends a WhatsApp message (JSON, or multipart with attachments); Idempotency-Key makes retries send once",
  security: BEARER,
  request: {
    headers: z.object({ "idempotency-key": z.string().min(1).max(255).optional().describe(IDEMPOTENCY_KEY_DESCRIPTION) }),
    body: {
      required: true,
      content: {
        "application/json": { schema: SendBody.meta({ id: "SendBody" }), example: { accountId: EXAMPLES.account.accountId, chatId: EXAMPLES.send.conversationId, content: "Yes, it is. When would you like to visit?" } },
        "multipart/form-data": { schema: SendForm },
      },
    },
  },
  responses: { 200: json(SendResponse, "Sent (or the first answer again, replayed: true)", EXAMPLES.send), ...ERRORS },
});

/** The body's fields and files, from JSON or multipart. */
async function readBody(c: Context<AppEnv>, maxAttachmentBytes: number): Promise<{ fields: unknown; files: OutgoingFile[] }> {
  const type = c.req.header("content-type") ?? "";
  if (JSON_TYPE.test(type)) return { fields: await readJsonBody(c), files: [] };
  if (!MULTIPART_TYPE.test(type)) {
    throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Send JSON (application/json) or, with attachments, multipart/form-data.");
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new ApiError("MALFORMED_MULTIPART", "The multipart body could not be read.");
  }
  const fields: Record<string, unknown> = {};
  for (const name of ["content", "accountId", "platform", "chatId", "quoteId", "subject"]) {
    const value = form.get(name);
    if (typeof value === "string") fields[name] = value;
  }
  const recipients = form.getAll("recipients").filter((v): v is string => typeof v === "string");
  if (recipients.length > 0) fields.recipients = recipients.length === 1 && recipients[0]?.trim().startsWith("[") ? jsonOrText(recipients[0], jsonMaxDepth(c)) : recipients;
  const files: OutgoingFile[] = [];
  for (const part of form.getAll("attachments")) {
    if (typeof part === "string") throw new ApiError("VALIDATION_FAILED", "attachments must be files.", [{ path: "attachments", message: "not a file" }]);
    if (part.size > maxAttachmentBytes) throw new ApiError("PAYLOAD_TOO_LARGE", `An attachment is larger than ${maxAttachmentBytes} bytes.`);
    if (!isStorableText(part.name) || !isStorableText(part.type)) {
      throw new ApiError("VALIDATION_FAILED", "An attachment's file name or type cannot be stored.", [{ path: `attachments.${files.length}`, message: STORABLE_TEXT_MESSAGE }]);
    }
    files.push({ fileName: part.name || "attachment", mimetype: part.type || "application/octet-stream", bytes: new Uint8Array(await part.arrayBuffer()) });
  }
  return { fields, files };
}

/** A multipart field that may hold a JSON array: parsed with the app's depth bound, else kept as text. */
function jsonOrText(text: string, maxDepth: number): unknown {
  try {
    return parseJsonText(text, maxDepth, "The recipients field");
  } catch (error) {
    if (error instanceof ApiError && error.code === "MALFORMED_JSON") return text;
    throw error;
  }
}

function sendFailure(error: SendError): ApiError {
  switch (error.code) {
    case "ACCOUNT_NOT_FOUND":
      return new ApiError("ACCOUNT_NOT_FOUND", "No such account.");
    case "CONVERSATION_NOT_FOUND":
      return new ApiError("CONVERSATION_NOT_FOUND", "No such conversation on this account.");
    case "MESSAGE_NOT_FOUND":
      return new ApiError("MESSAGE_NOT_FOUND", "The quoted message is not in this conversation.");
    case "ACCOUNT_NOT_CONNECTED":
      return new ApiError("ACCOUNT_NOT_CONNECTED", "The account is not connected; nothing was sent.");
    case "IDEMPOTENCY_KEY_REUSED":
      return new ApiError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for another request.");
    case "SEND_IN_PROGRESS":
      return new ApiError("SEND_IN_PROGRESS", "A request with this Idempotency-Key is still being sent; retry later.", undefined, { "Retry-After": "1" });
    case "PACED":
      return pacedFailure(error);
    case "UPSTREAM": {
      const upstream = upstreamError(error.failure);
      const details = { ...(upstream.details as object | undefined), messageId: error.messageId };
      return new ApiError(upstream.code, upstream.message, details, upstream.headers);
    }
    default: {
      const unexpected: never = error;
      return unexpected;
    }
  }
}

const PACING_SENTENCES = {
  account_rate: "This account has sent as many messages as its pace allows for now",
  new_chats_per_day: "This account has started as many new chats as it may today",
  chat_gap: "A message was just sent to this chat",
} as const;

/** 429 SEND_PACED: nothing was sent and the Idempotency-Key is still free; the same request succeeds after Retry-After. */
function pacedFailure(refusal: Extract<SendError, { code: "PACED" }>): ApiError {
  const seconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  return new ApiError("SEND_PACED", `${PACING_SENTENCES[refusal.limit]}; nothing was sent. Try again in ${seconds} s.`, { limit: refusal.limit, retryAfterSeconds: seconds }, {
    "Retry-After": String(seconds),
    "RateLimit-Policy": `"${refusal.limit}";q=${refusal.quota};w=${refusal.windowSeconds}`,
    RateLimit: `"${refusal.limit}";r=0;t=${seconds}`,
  });
}

/** The send as the typed client makes it: JSON (multipart is in the document; a client builds its FormData itself). */
type SendJsonRoute = Omit<typeof sendRoute, "request"> & {
  request: { headers: (typeof sendRoute)["request"]["headers"]; body: { required: true; content: { "application/json": { schema: typeof SendBody } } } };
};

/** The send route, mounted with `app.route("/", sendRoutes(deps))`; it reads its JSON or multipart body itself. */
export function sendRoutes(deps: SendRoutesDeps) {
  const guard = [deps.guards.shed, deps.guards.bodyLimit, deps.guards.authenticated];
  return openapiOwnBody<typeof sendRoute & { middleware: typeof guard }, SendJsonRoute>({ ...sendRoute, middleware: guard }, async (c) => {
    const { fields, files } = await readBody(c, deps.maxAttachmentBytes);
    const parsed = SendBody.safeParse(fields);
    if (!parsed.success) throw new ApiError("VALIDATION_FAILED", "The request body is invalid.", describeIssues(parsed.error.issues));
    const body = parsed.data;
    if (body.content.trim() === "" && files.length === 0) {
      throw new ApiError("VALIDATION_FAILED", "A message needs content or attachments.", [{ path: "content", message: "empty" }]);
    }
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new ApiError("VALIDATION_FAILED", "The Idempotency-Key header must be 1 to 255 visible ASCII characters.");
    }
    const actor = { userId: c.get("principal").userId, requestId: c.get("requestId") };
    const result = await deps.sends.send(actor, {
      accountId: body.accountId,
      text: body.content,
      recipients: await completeRecipients(deps.sql, actor.userId, body.accountId, body.recipients ?? []),
      ...(body.chatId ? { conversationId: body.chatId } : {}),
      ...(body.quoteId ? { quoteId: body.quoteId } : {}),
      ...(body.subject ? { subject: body.subject } : {}),
      files,
      ...(key ? { idempotencyKey: key } : {}),
    });
    if (!result.ok) throw sendFailure(result.error);
    const found = await getMessageForUser(deps.sql, result.value.messageId, actor.userId);
    return c.json({ success: true as const, ...result.value, message: found ? messageView(found.message, found.conversation.readUpTo) : null });
  });
}
