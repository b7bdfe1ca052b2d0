/**
 * @module conversations/projection/aliases
 * A message CommSync sent keeps its send's id from the request to the
 * delivery: the pending row, the answer's `messageId` and the row after
 * Unipile's echo are one id. Facts from Unipile name the message by Unipile's
 * id, whose derived id (`messageIdFor`) is then not the row's; these helpers
 * find the row's id for them: the projection loads, for the Unipile ids a
 * batch names, the ids of the rows that hold them.
 */
import type { Queryable } from "../../db/client";
import { messageIdFor, type MessagingIds, messagingIds } from "../../unipile/ingest";
import type { MessagingChange } from "../model";

/** The Unipile message ids a change names. */
export function unipileMessageIdsOf(change: MessagingChange): string[] {
  switch (change.kind) {
    case "arrived":
    case "followup":
      return [change.message.unipileMessageId];
    case "send_succeeded":
      return change.unipileMessageId ? [change.unipileMessageId] : [];
    default:
      return [];
  }
}

/** Unipile message id → our id, for those among the changes' whose row's id is not the derived one. */
export async function loadAliases(sql: Queryable, table: string, changes: readonly MessagingChange[]): Promise<Map<string, string>> {
  const unipileIds = [...new Set(changes.flatMap(unipileMessageIdsOf))];
  const aliases = new Map<string, string>();
  if (unipileIds.length === 0) return aliases;
  const rows = await sql<{ id: string; unipileMessageId: string }[]>`
    select id, unipile_message_id as "unipileMessageId" from ${sql(table)} where unipile_message_id = any(${unipileIds})
  `;
  for (const row of rows) if (row.id !== messageIdFor(row.unipileMessageId)) aliases.set(row.unipileMessageId, row.id);
  return aliases;
}

/** The ids, with the aliases taking precedence (the fold adds the ones it makes to the same map). */
export const aliasedIds = (aliases: ReadonlyMap<string, string>): MessagingIds => ({
  conversation: messagingIds.conversation,
  message: (unipileMessageId) => aliases.get(unipileMessageId) ?? messagingIds.message(unipileMessageId),
});
