/**
 * @module unipile/ingest/lookup-bounds
 * The concurrency bounds of background lookups (p-limit): at most `global`
 * at once in the replica and `perAccount` for one Unipile account, so that
 * 200 new chats arriving together make a steady trickle of `GET /chats/{id}`
 * rather than 200 requests at once. Lookups wait their turn in memory; each
 * is small (a key and a closure), and the webhook was answered already.
 */
import pLimit, { type LimitFunction } from "p-limit";
import { metrics } from "../../platform/metrics";

export function createLookupBounds(bounds?: { global: number; perAccount: number }) {
  const global = pLimit(bounds?.global ?? Number.POSITIVE_INFINITY);
  const perAccount = new Map<string, LimitFunction>();

  const inGlobal = (work: () => Promise<void>) => {
    const run = global(async () => {
      metrics.lookupsInFlight.inc();
      metrics.lookupsQueued.set(global.pendingCount);
      try {
        await work();
      } finally {
        metrics.lookupsInFlight.dec();
      }
    });
    metrics.lookupsQueued.set(global.pendingCount);
    return run;
  };

  return function bounded(unipileAccountId: string | undefined, work: () => Promise<void>): Promise<void> {
    if (!bounds || !unipileAccountId) return inGlobal(work);
    let limit = perAccount.get(unipileAccountId);
    if (!limit) {
      limit = pLimit(bounds.perAccount);
      perAccount.set(unipileAccountId, limit);
    }
    const mine = limit;
    return mine(() => inGlobal(work)).finally(() => {
      if (mine.activeCount === 0 && mine.pendingCount === 0) perAccount.delete(unipileAccountId);
    });
  };
}
