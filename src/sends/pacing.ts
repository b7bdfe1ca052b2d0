/**
 * @module sends/pacing
 * Pacing of sends per WhatsApp account, so that the service never sends the
 * bursts and waves of new chats that get unofficial numbers restricted
 * (rules in send-pacing-rules.ts):
 * - messages per minute per account, with a burst (a token bucket);
 * - messages that start a new chat, per account per rolling day, lower while
 *   the account is in warm-up (linked fewer than `warmupDays` days ago):
 *   Unipile warns that fresh numbers are blocked after 2–3 new chats and
 *   should be warmed up over days with one or two chats a day;
 * - a least gap between two messages to one chat.
 * A send is reserved against all three at once or refused with the limit
 * and how long to wait; a refused send takes nothing.
 *
 * With `sql`, each account's state is a row of `send_pacing`, read and
 * written under a row lock in one transaction: the pace holds across
 * replicas and restarts. Without it (unit tests), it is kept in memory.
 */
import type { Sql } from "../db/client";
import type { SendPacingSettings } from "../operations-config";
import { metrics } from "../platform/metrics";
import { decidePacing, emptyPacingState, type PacedSend, type PacingRefusal, type PacingState } from "./pacing-rules";

export type { PacedSend, PacingLimit, PacingRefusal } from "./pacing-rules";

export interface SendPacingOptions {
  /** Where the state lives; none: in this process's memory. */
  sql?: Sql;
  /** @default Date.now */
  now?: () => number;
}

export type SendPacing = ReturnType<typeof createSendPacing>;

type Decide = (state: PacingState) => { state: PacingState } | { refusal: PacingRefusal };

export function createSendPacing(settings: SendPacingSettings, options: SendPacingOptions = {}) {
  const now = options.now ?? Date.now;
  const memory = new Map<string, PacingState>();

  async function inMemory(accountId: string, decide: Decide): Promise<PacingRefusal | null> {
    const outcome = decide(memory.get(accountId) ?? emptyPacingState());
    if ("refusal" in outcome) return outcome.refusal;
    memory.set(accountId, outcome.state);
    return null;
  }

  async function inPostgres(sql: Sql, accountId: string, decide: Decide): Promise<PacingRefusal | null> {
    return sql.begin(async (tx) => {
      await tx`insert into send_pacing (account_id, state) values (${accountId}, ${tx.json(emptyPacingState() as never)}) on conflict do nothing`;
      const [row] = await tx<{ state: PacingState }[]>`select state from send_pacing where account_id = ${accountId} for update`;
      const outcome = decide(row?.state ?? emptyPacingState());
      if ("refusal" in outcome) return outcome.refusal;
      await tx`update send_pacing set state = ${tx.json(outcome.state as never)}, updated_at = now() where account_id = ${accountId}`;
      return null;
    });
  }

  return {
    settings,
    /** Reserves the send against every limit, or answers the first that refuses it (and takes nothing). */
    async reserve(send: PacedSend): Promise<PacingRefusal | null> {
      if (!settings.enabled) return null;
      const decide: Decide = (state) => decidePacing(state, send, settings, now());
      const refusal = options.sql ? await inPostgres(options.sql, send.accountId, decide) : await inMemory(send.accountId, decide);
      if (refusal) metrics.sendsPaced.inc({ limit: refusal.limit });
      return refusal;
    },
  };
}
