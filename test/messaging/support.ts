/**
 * Messaging test support: a connected account owned by a user (through the
 * real connect route and a sandbox scan), typed reads of the messaging API,
 * and the error-shape matcher.
 */
import { expect } from "bun:test";
import { createMessagingProjection, messagingProjection } from "../../src/conversations/projection/apply";
import { verifyProjection } from "../../src/projections";
import { waitFor } from "../sandbox/support";
import type { Harness } from "../support/harness";

export type Json = Record<string, unknown>;
export interface Conversation extends Json {
  id: string;
  name: string | null;
  type: string;
  unreadCount: number;
  messageCount: number;
  lastMessagePreview: string | null;
  unipileChatId: string;
  attendees: Json[];
}
export interface Message extends Json {
  id: string;
  text: string | null;
  status: string;
  isSender: boolean;
  unipileMessageId: string | null;
  sender: { attendeeId: string | null; providerId: string | null; name: string | null; phone: string | null };
  reactions: { value: string; senderId: string | null }[];
  edited: boolean;
  deleted: boolean;
  seen: boolean;
  sentAt: string;
  attachments: { id: string | null; fileName: string | null; mimetype: string | null }[];
  quoted: { messageId: string | null; text: string | null } | null;
}

export const errorShape = (code: string) => ({ error: expect.any(String), code, requestId: expect.any(String) });
export const newUser = () => `user-${crypto.randomUUID()}`;
/** A phone number no other test uses. */
export const newPhone = () => `336${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

export interface ConnectedAccount {
  userId: string;
  accountId: string;
  unipileAccountId: string;
  phone: string;
}

/** Connects a WhatsApp account for a new user and waits until it is connected. */
export async function connectAccount(h: Harness, userId = newUser(), phone = newPhone()): Promise<ConnectedAccount> {
  const response = await h.request("/api/unipile/connect-whatsapp", { method: "POST", as: userId });
  expect(response.status).toBe(200);
  const connection = (await response.json()) as { accountId: string; accountIdentifier: string };
  await h.control("POST", `/sandbox/accounts/${connection.accountIdentifier}/scan`, { phone_number: phone, name: "Acme Support" });
  await waitFor(async () => {
    const status = (await (await h.request(`/api/unipile/check-status?accountId=${connection.accountId}&wait=2`, { as: userId })).json()) as Json;
    return status.status === "connected";
  }, 10000);
  return { userId, accountId: connection.accountId, unipileAccountId: connection.accountIdentifier, phone };
}

export async function getJson<T = Json>(h: Harness, path: string, as: string): Promise<T> {
  const response = await h.request(path, { as });
  if (response.status !== 200) throw new Error(`GET ${path} → ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export const listConversations = (h: Harness, as: string, query = "") =>
  getJson<{ items: Conversation[]; nextCursor: string | null }>(h, `/api/conversations${query ? `?${query}` : ""}`, as);

export const listMessages = (h: Harness, as: string, conversationId: string, query = "") =>
  getJson<{ items: Message[]; nextCursor: string | null }>(h, `/api/conversations/${conversationId}/messages${query ? `?${query}` : ""}`, as);

/** The conversation of a Unipile chat, once the projection shows it. */
export async function conversationOf(h: Harness, as: string, unipileChatId: string, until: (c: Conversation) => boolean = () => true): Promise<Conversation> {
  return waitFor(async () => {
    const page = await listConversations(h, as, "limit=200");
    const found = page.items.find((c) => c.unipileChatId === unipileChatId);
    return found && until(found) ? found : undefined;
  }, 10000);
}

/** Sends through the API. */
export function send(h: Harness, as: string, body: Json, headers: Record<string, string> = {}) {
  return h.request("/api/unipile/message", { method: "POST", as, json: body, headers });
}

/**
 * `bun run replay --verify` for the messaging tables: a rebuild from the log equals them row for row,
 * in one batch, and in batches of three events (or `smallBatch`) holding at most two conversations in
 * memory (so rows held across batches, written when the hold is full, released before owners and
 * recounts, all count).
 */
export async function expectRebuildMatchesLive(h: Harness, options: { smallBatch?: number } = {}) {
  await h.deps.messaging.fetcher.settled();
  for (const [projection, batchSize] of [
    [messagingProjection, 2000],
    [createMessagingProjection({ heldConversations: 2 }), options.smallBatch ?? 3],
  ] as const) {
    const report = await verifyProjection(h.deps.sql, projection, { batchSize });
    expect(report.tables.map((t) => ({ table: t.table, differing: t.differing, onlyLive: t.onlyLive, onlyRebuilt: t.onlyRebuilt }))).toEqual(
      report.tables.map((t) => ({ table: t.table, differing: 0, onlyLive: [], onlyRebuilt: [] })),
    );
  }
}
