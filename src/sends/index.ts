/**
 * @module sends
 * Sending messages from CommSync: one stream per send, its routes, the
 * service, pacing per WhatsApp account, and completing national phone
 * numbers. Other folders import from here only.
 */
export { sendPacing } from "./pacing-table";
export { createSendPacing } from "./pacing";
export type { PacingRules } from "./pacing-rules";
export { sendRoutes } from "./routes";
export { type Actor, type SendService, createSendService } from "./service";
export { type MessageSendFailed, type MessageSendRequested, type MessageSent, sendStream } from "./events";
