/**
 * @module live/import-progress
 * The event stream during a history import. An import brings thousands of
 * messages and chats at once; pushing each (a 6,000-message import pushed
 * 6,047 `message` events to every stream) buries live messages and costs
 * every client a refetch per event. Instead the stream shows:
 * - `account` events with the import's progress (`progress`: phase, chats
 *   done of the total once the chats are listed, messages read), at most
 *   one every PROGRESS_INTERVAL_MS per account (its start always);
 * - when it ends, the final `account` event, then one `conversations` event
 *   (`type: "ConversationsChanged"`, `reason: "history_import"`) telling the
 *   client to refetch its conversation list;
 * - messages arriving meanwhile by webhook (or a poll) one by one, as ever.
 * Webhook subscriptions still receive every imported message (subscriptions/).
 */
import type { RecordedEvent } from "../event-store/event";
import type { FeedItem } from "./feed";

/** History import events: they carry the progress the stream shows. */
export const IMPORT_EVENT_TYPES: readonly string[] = ["AccountBackfillStarted", "AccountBackfillProgressed", "AccountBackfillCompleted"];

/** At most one progress event per account in this time (its start and end always go out). */
export const PROGRESS_INTERVAL_MS = 500;

/** Whether the stream shows an event: not the messages and chats an import brings (see above). */
export const shownOnStream = (event: RecordedEvent): boolean =>
  IMPORT_EVENT_TYPES.includes(event.type) || (event.metadata as { trigger?: unknown } | null)?.trigger !== "backfill";

export interface ImportProgress {
  phase: string | null;
  chatsDone: number;
  /** Known once every chat is listed (the messages phase); null before. */
  chatsTotal: number | null;
  messagesSeen: number;
  /** Unipile does not say how many messages an account has: null. */
  messagesTotal: null;
  done: boolean;
}

/** An import event's progress, as its data says. */
export function importProgress(type: string, data: unknown): ImportProgress {
  const d = (data ?? {}) as { phase?: unknown; chatsDone?: unknown; messagesSeen?: unknown };
  const chatsDone = typeof d.chatsDone === "number" ? d.chatsDone : 0;
  const done = type === "AccountBackfillCompleted";
  return {
    phase: typeof d.phase === "string" ? d.phase : null,
    chatsDone,
    chatsTotal: done || d.phase === "messages" ? chatsDone : null,
    messagesSeen: typeof d.messagesSeen === "number" ? d.messagesSeen : 0,
    messagesTotal: null,
    done,
  };
}

export interface StreamEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Per stream: turns feed items into the events to write, thinning an import's progress. */
export function createImportThrottle(now: () => number = Date.now, intervalMs = PROGRESS_INTERVAL_MS) {
  const lastProgress = new Map<string, number>();
  return (item: FeedItem): StreamEvent[] => {
    const event = { id: item.id, event: item.event, data: item.data };
    const type = item.data.type;
    if (item.event !== "account" || typeof type !== "string" || !IMPORT_EVENT_TYPES.includes(type)) return [event];
    const at = now();
    if (type === "AccountBackfillProgressed") {
      const last = lastProgress.get(item.orderKey);
      if (last !== undefined && at - last < intervalMs) return [];
    }
    lastProgress.set(item.orderKey, at);
    if (type !== "AccountBackfillCompleted") return [event];
    lastProgress.delete(item.orderKey);
    const account = item.data.account as { accountId?: unknown } | undefined;
    const changed = { type: "ConversationsChanged", reason: "history_import", accountId: account?.accountId ?? null, refetch: "/api/conversations" };
    return [event, { id: item.id, event: "conversations", data: changed }];
  };
}
