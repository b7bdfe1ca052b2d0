/**
 * @module conversations/projection/rebuild-cache
 * The conversations a rebuild holds in memory across batches.
 */
import type { TransactionSql } from "../../db/client";
import { createTableWriter } from "../../projections/row-projection";
import type { ConversationRow } from "../model";
import { conversations } from "../tables";

const conversationWriter = createTableWriter(conversations, conversations.unipileChatId);

/**
 * A rebuild's conversations, by chat id, kept across batches: a conversation
 * with messages all through the log is then written a few times instead of
 * once per batch. The rows held are the truth; a statement that writes the
 * conversations table itself (owners, recounts) first has them written.
 */
export class ConversationCache {
  private readonly rows = new Map<string, ConversationRow>();
  private readonly dirty = new Set<string>();
  constructor(private readonly limit: number) {}

  get(chatId: string): ConversationRow | undefined {
    return this.rows.get(chatId);
  }

  put(row: ConversationRow) {
    this.rows.set(row.unipileChatId, row);
    this.dirty.add(row.unipileChatId);
  }

  /** Writes the held rows that changed since they were last written. */
  async flush(tx: TransactionSql, table: string, only?: ReadonlySet<string>) {
    const rows: ConversationRow[] = [];
    for (const chatId of this.dirty) {
      if (only && !only.has(chatId)) continue;
      const row = this.rows.get(chatId);
      if (row) rows.push(row);
    }
    await conversationWriter.upsert(tx, table, rows);
    for (const row of rows) this.dirty.delete(row.unipileChatId);
  }

  /** Writes and forgets these conversations (the table is about to change under them). */
  async release(tx: TransactionSql, table: string, chatIds: ReadonlySet<string>) {
    await this.flush(tx, table, chatIds);
    for (const chatId of chatIds) this.rows.delete(chatId);
  }

  async releaseAll(tx: TransactionSql, table: string) {
    await this.flush(tx, table);
    this.rows.clear();
  }

  /** Past the limit: writes everything held, keeps the newer half. */
  async trim(tx: TransactionSql, table: string) {
    if (this.rows.size <= this.limit) return;
    await this.flush(tx, table);
    let drop = this.rows.size - Math.floor(this.limit / 2);
    for (const chatId of this.rows.keys()) {
      if (drop-- <= 0) break;
      this.rows.delete(chatId);
    }
  }
}
