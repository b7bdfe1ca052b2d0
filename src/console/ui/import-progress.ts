/**
 * @module console/import-progress
 * What an account card shows of a history import: the event stream's
 * `progress` (phase, chats done of the total once every chat is listed,
 * messages read), or, without one (before the stream sent any, or after a
 * reload), the account's own `sync.backfill` fields. Pure.
 */
import type { Account, ImportProgress } from "./model";

export interface ImportShown {
  done: boolean;
  /** "chats": listing the chats; "messages": reading their messages; null: not known. */
  phase: string | null;
  chatsDone: number;
  /** The bar's total: null while the chats are still being listed (the bar is then indeterminate). */
  chatsTotal: number | null;
  messagesSeen: number;
  messagesTotal: number | null;
}

/** The import to show for `account`; `progress` is the last the stream sent for it (if any). Null: no import yet. */
export function importShown(account: Account, progress: ImportProgress | undefined): ImportShown | null {
  const backfill = account.sync.backfill;
  const accountDone = backfill?.state === "done";
  // The stream's progress is the freshest, unless the account says its import ended since.
  if (progress && (progress.done || !accountDone)) {
    const { done, phase, chatsDone, chatsTotal, messagesSeen, messagesTotal } = progress;
    return { done, phase, chatsDone, chatsTotal: done ? (chatsTotal ?? chatsDone) : chatsTotal, messagesSeen, messagesTotal };
  }
  if (!backfill) return null;
  return {
    done: accountDone,
    phase: null,
    chatsDone: backfill.chatsDone,
    // Every chat is listed when the import is done; before that the account's fields do not say how many there are.
    chatsTotal: accountDone ? backfill.chatsDone : null,
    messagesSeen: backfill.messagesSeen,
    messagesTotal: null,
  };
}
