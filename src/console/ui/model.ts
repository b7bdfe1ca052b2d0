/**
 * @module console/model
 * The answers the console reads, typed from the service's routes through the
 * `hc<AppType>` client (so they cannot drift from the views the routes
 * declare). Only the event stream's events are spelled here: `hc` types the
 * stream as one response, not the events inside it. Types only.
 */
import type { Answer, ApiClient } from "./api-client";

// The statuses are the service's own list (a pure module the bundle can take).
export { ACCOUNT_STATUSES, type AccountStatus } from "../../accounts/status-mapping";
/** A history import's progress, as the stream's `account` events carry it. */
export type { ImportProgress } from "../../live";
import type { ImportProgress } from "../../live";

type Api = ApiClient["api"];

export type Me = Answer<Api["me"]["$get"]>;
export type SessionInfo = Answer<ApiClient["console"]["session"]["$get"]>;
export type Account = Answer<Api["unipile"]["check-status"]["$get"]>;
export type Connection = Answer<Api["unipile"]["connect-whatsapp"]["$post"]>;
export type Conversation = Answer<Api["conversations"][":id"]["$get"]>;
export type Message = Answer<Api["conversations"][":id"]["messages"]["$get"]>["items"][number];
export type MessageStatus = Message["status"];
export type Attachment = Message["attachments"][number];
export type SendAnswer = Answer<Api["unipile"]["message"]["$post"]>;
export type AuditEvent = Answer<Api["audit"]["events"]["$get"]>["items"][number];

/** What `/api/events/stream` sends (the views inside are the routes' own). */
export type LiveEvent =
  | { event: "account"; id: string; data: { type: string; account: Account; progress?: ImportProgress } }
  | { event: "conversations"; id: string; data: { type: "ConversationsChanged"; reason: string; accountId: string | null; refetch: string } }
  | { event: "conversation"; id: string; data: { type: string; conversation: Conversation } }
  | { event: "message"; id: string; data: { type: string; message: Message; conversation: Conversation } };
