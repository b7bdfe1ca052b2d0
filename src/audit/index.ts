/**
 * @module audit
 * The auditor API: the event log read back page by page, by stream, as an
 * NDJSON export, an account replayed to a past point, and the projections
 * verified against a rebuild. See routes.ts.
 */
export { type AuditRoutesDeps, auditRoutes } from "./routes";
export { type AuditEvent, toAuditEvent } from "./event-view";
export { decodeLogCursor, encodeLogCursor } from "./cursor";
