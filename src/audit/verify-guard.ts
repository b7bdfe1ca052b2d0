/**
 * @module audit/verify-guard
 * `GET /api/audit/verify` rebuilds every projection into `<table>__verify`
 * scratch tables: two runs at once would drop each other's tables, and each
 * costs a full replay. One run at a time per process; a second caller is told
 * so (409) rather than queued behind a replay of unknown length.
 */
import type { Sql } from "../db/client";
import { type Projection, verifyProjection, type VerifyReport } from "../projections";

export interface VerifyAnswer {
  ok: boolean;
  projections: VerifyReport[];
}

export interface VerifyGuard {
  /** The verification, or null when one is already running. */
  run(): Promise<VerifyAnswer | null>;
}

export function createVerifyGuard(sql: Sql, projections: readonly Projection[]): VerifyGuard {
  let running = false;
  return {
    async run() {
      if (running) return null;
      running = true;
      try {
        const reports: VerifyReport[] = [];
        for (const projection of projections) reports.push(await verifyProjection(sql, projection));
        return { ok: reports.every((r) => r.ok), projections: reports };
      } finally {
        running = false;
      }
    },
  };
}
