/**
 * @module live
 * Live updates: the feed of a user's events from the log (feed.ts), the
 * history import's progress, and the server-sent event stream. Other folders
 * import from here only.
 */
export { FEED_EVENT_TYPES, type FeedItem, HISTORY_IMPORT_EVENT_TYPES, decodePosition, projectedPosition, readFeed } from "./feed";
export { type LiveStreams, createLiveStreams, liveRoutes } from "./sse-routes";
export type { ImportProgress } from "./import-progress";
