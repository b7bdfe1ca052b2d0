/**
 * @module projections/read-your-writes
 * What the runner knows of where each projection stands, and the waits on it:
 * `waitFor(position)` for a command's answer, `catchUp()` for a query. Each
 * pass of the runner reports the positions it reached and releases the waiters.
 */
import type { Sql } from "../db/client";
import { compareLogPositions, type LogPosition } from "../event-store/event";
import { readCheckpoint } from "./checkpoints";
import type { Projection } from "./projection";

export type ProjectionPositions = ReturnType<typeof createProjectionPositions>;

/** `nudge` wakes the runner's loop: a waiter asks for a pass instead of waiting for the poll interval. */
export function createProjectionPositions(sql: Sql, projections: readonly Projection[], nudge: () => void) {
  const names = projections.map((p) => p.name);
  const waiters = new Set<() => void>();

  /**
   * Where each projection is known to be: its checkpoint as this runner
   * committed it, or as last read (another replica may apply it). Positions
   * only move forward, so a waiter satisfied here is satisfied for good.
   */
  const known = new Map<string, LogPosition>();
  const reached = (name: string, position: LogPosition) => {
    const before = known.get(name);
    if (!before || compareLogPositions(position, before) > 0) known.set(name, position);
  };
  const passed = (position: LogPosition) =>
    projections.every((p) => {
      const at = known.get(p.name);
      return at !== undefined && compareLogPositions(at, position) >= 0;
    });
  /** One checkpoint read at a time, shared by every waiter (not one query per waiting request every 25 ms). */
  let reading: Promise<void> | null = null;
  const refreshKnown = () =>
    (reading ??= (async () => {
      try {
        const checkpoints = await Promise.all(projections.map((p) => readCheckpoint(sql, p.name)));
        checkpoints.forEach((c, i) => {
          if (c) reached((projections[i] as Projection).name, c);
        });
      } finally {
        reading = null;
      }
    })());

  /** After a pass: every waiter looks again. */
  const release = () => {
    const pending = [...waiters];
    waiters.clear();
    for (const resolve of pending) resolve();
  };

  /**
   * Read-your-writes: resolves true once every projection has passed `position`
   * (whichever replica applied it), false after `timeoutMs`.
   */
  async function waitFor(position: LogPosition, timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (passed(position)) return true;
      await refreshKnown();
      if (passed(position)) return true;
      if (Date.now() >= deadline) return false;
      nudge();
      await Promise.race([new Promise<void>((resolve) => waiters.add(resolve)), Bun.sleep(25)]);
    }
  }

  /**
   * Read-your-writes for queries: resolves true once every projection has
   * applied every event committed before the call (the newest committed
   * pair is the target), false after `timeoutMs` (the caller then reads
   * what is there).
   */
  async function catchUp(timeoutMs = 1000): Promise<boolean> {
    // One round trip when (as nearly always) every projection is already there: the head and
    // whether each checkpoint has passed it, in one statement. `events.` matters: a bare
    // `transaction_id` would name the text alias, sorting as text ("9" after "10") and reading
    // the whole index instead of its last entry.
    const rows = await sql<{ head_xid: string; head_pos: number; passed: number }[]>`
      select h.transaction_id::text as head_xid, h.global_position as head_pos,
             (select count(*)::int from projection_checkpoints c
              where c.name = any(${names}) and (c.transaction_id, c.global_position) >= (h.transaction_id, h.global_position)) as passed
      from (select transaction_id, global_position from events
            order by events.transaction_id desc, global_position desc limit 1) h
    `;
    const head = rows[0];
    if (!head || head.passed === names.length) return true;
    return waitFor({ transactionId: head.head_xid, globalPosition: head.head_pos }, timeoutMs);
  }

  return { reached, release, waitFor, catchUp };
}
