/**
 * @module unipile
 * Unipile, as the service calls it: the gateway (the only user of
 * unipile-node-sdk), the payload schemas of what it sends, its upstream
 * errors, request budgets and webhook registration. What Unipile tells us
 * becomes facts in unipile/ingest. Other folders import from here only.
 */
export type { UnipileFailure } from "./gateway-failures";
export { type UnipileGateway, createUnipileGateway } from "./gateway";
export { type Misshapen, type RestAccount, type RestChat, type RestMessage, classifyWebhookBody } from "./payloads";
export { createRequestBudget } from "./request-budget";
export { upstreamError } from "./upstream-errors";
export { ensureWebhooks } from "./webhook-registration";
