/**
 * @module audit/account-ref
 * Auditors name an account by our id (the uuid the API answers) or by
 * Unipile's; the log knows only Unipile's (`account:<unipile id>` streams,
 * `data.unipileAccountId` on the facts that name it). The accounts table maps
 * one to the other; the mapping never changes once made.
 */
import type { Queryable } from "../db/client";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Unipile's id for `id`. An id the accounts table does not know is taken as
 * Unipile's own: the log may hold facts about accounts nobody connected here
 * (a webhook for an unknown account) or not yet projected.
 */
export async function resolveUnipileAccountId(sql: Queryable, id: string): Promise<string> {
  if (UUID.test(id)) {
    const byOurs = await sql<{ unipile_account_id: string }[]>`select unipile_account_id from accounts where id = ${id}::uuid`;
    if (byOurs[0]) return byOurs[0].unipile_account_id;
  }
  return id;
}

/** Unipile's chat id for `id`: our conversation id (uuid), or Unipile's chat id as given. */
export async function resolveUnipileChatId(sql: Queryable, id: string): Promise<string> {
  if (UUID.test(id)) {
    const byOurs = await sql<{ unipile_chat_id: string }[]>`select unipile_chat_id from conversations where id = ${id}::uuid`;
    if (byOurs[0]) return byOurs[0].unipile_chat_id;
  }
  return id;
}
