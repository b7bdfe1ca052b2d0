/**
 * @module audit/conversation-state
 * A conversation and its messages as the messaging projection held them at a
 * past point, rebuilt from the log with the projection's own pure code
 * (`translateEvent`, `foldMessaging`, `summarizeConversation`) over every
 * event that could touch them: the chat's stream, the sends to that chat
 * (whole send streams, since a send that started the chat names it only in its
 * outcome), and the account's owner record.
 */
import type { Queryable } from "../db/client";
import { type EventFilter, type EventMatch, LOG_START, type LogPosition, compareLogPositions, readAll, type RecordedEvent } from "../event-store";
import { chatStream, conversationsFold } from "../conversations";
import type { ConversationRow, MessageRow } from "../conversations";
import { sendStream } from "../sends";
import type { StatePoint } from "./schemas";

const SEND_TYPES = ["MessageSendRequested", "MessageSent", "MessageSendFailed"];

export interface ConversationStateAt {
  conversation: ConversationRow;
  /** Its messages then, newest first. */
  messages: MessageRow[];
  last: RecordedEvent;
}

const pointFilter = (point: StatePoint | undefined): EventFilter => ({
  ...(point && "time" in point ? { recordedTo: point.time } : {}),
  ...(point && "position" in point ? { maxGlobalPosition: point.position } : {}),
});

async function readEvery(sql: Queryable, filter: EventFilter): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after: LogPosition = LOG_START;
  for (;;) {
    const page = await readAll(sql, { ...filter, after, limit: 1000 });
    events.push(...page.events);
    after = page.position;
    if (page.caughtUp) return events;
  }
}

/** The conversation of `unipileChatId` as of `point`; null when the log had nothing of it by then. */
export async function conversationStateAt(sql: Queryable, unipileChatId: string, point?: StatePoint): Promise<ConversationStateAt | null> {
  const at = pointFilter(point);
  const chatEvents = await readEvery(sql, { ...at, anyOf: [{ streamId: chatStream(unipileChatId) }] });
  const sends = await readEvery(sql, { ...at, types: SEND_TYPES, anyOf: [{ data: { key: "unipileChatId", value: unipileChatId } }] });
  const sendStreams: EventMatch[] = [...new Set(sends.map((e) => (e.data as { sendId: string }).sendId))].map((id) => ({ streamId: sendStream(id) }));
  const sendEvents = sendStreams.length > 0 ? await readEvery(sql, { ...at, anyOf: sendStreams }) : [];
  const accounts = [...new Set(chatEvents.map((e) => (e.data as { unipileAccountId?: string }).unipileAccountId).filter((a): a is string => !!a))];
  const owners = accounts.length > 0 ? await readEvery(sql, { ...at, types: ["AccountConnectionRequested"], anyOf: accounts.map((a) => ({ data: { key: "unipileAccountId", value: a } })) }) : [];

  const byPosition = new Map<number, RecordedEvent>();
  for (const e of [...chatEvents, ...sendEvents, ...owners]) byPosition.set(e.globalPosition, e);
  const events = [...byPosition.values()].sort(compareLogPositions);
  const last = events.at(-1);
  const replayed = conversationsFold.replay(events, unipileChatId);
  if (!replayed || !last) return null;
  return { ...replayed, last };
}
