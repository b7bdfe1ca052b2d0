/**
 * @module conversations
 * The read model of chats and messages: the events and changes it reads, the
 * pure fold (fold/), the projection (projection/), its tables, queries, views
 * and routes, and marking a chat read. Other folders import from here only.
 */
export { type AttachmentMeta, type UnipileChatObserved, type UnipileMessageObserved, chatStream } from "./events";
export { conversationsFold } from "./fold";
export { type ReadService, createReadService } from "./mark-read";
export { type ConversationRow, type MessageRow, WHATSAPP_MAX_TEXT_LENGTH } from "./model";
export { messagingProjection } from "./projection/apply";
export { findConversationByProviderId, findMessageInConversation, getConversationForUser, getMessageForUser } from "./queries";
export { messagingRoutes } from "./routes";
export { conversations, messages, messagingAccounts } from "./tables";
export { ConversationSchema, MessageSchema, conversationView, messageView } from "./views";
