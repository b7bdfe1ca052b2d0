/**
 * @module unipile/ingest
 * Unipile's data becomes facts in the log: the webhook route, webhook facts
 * and REST facts, the background lookups, and every stream name and dedupe
 * key (keys.ts) and row id (ids.ts). Other folders import from here only.
 */
export { type MessagingIds, conversationIdFor, messageIdFor, messagingIds, uuidV5 } from "./ids";
export { type MessagingFetcher, createMessagingFetcher } from "./lookups";
export { chatObservedFact, messageObservedFact, misshapenChatFact, misshapenMessageFact } from "./rest-facts";
export { webhookRoutes } from "./webhook-routes";
