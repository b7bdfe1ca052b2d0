/**
 * Gap-safe readers (`readAll`: the projection runner, rebuilds, the audit
 * API, the live feed) read only transactions older than every transaction
 * still running on the Postgres server, in any of its databases: an
 * autovacuum ANALYZE, a CREATE or DROP DATABASE, another test's writer. So an
 * event can stay out of their sight for a moment after its commit. A test that
 * reads through them right after writing waits for this first.
 */
import type { Queryable } from "../../src/db/client";
import { waitFor } from "../sandbox/support";

/** Resolves once every transaction that had started before the call has ended (committed events are then visible to `readAll`). */
export async function logVisible(sql: Queryable, timeoutMs = 10_000): Promise<void> {
  const [now] = await sql<{ next: string }[]>`select pg_snapshot_xmax(pg_current_snapshot())::text as next`;
  await waitFor(async () => {
    const [row] = await sql<{ visible: boolean }[]>`select pg_snapshot_xmin(pg_current_snapshot()) >= ${now?.next ?? "0"}::xid8 as visible`;
    return row?.visible === true;
  }, timeoutMs);
}
