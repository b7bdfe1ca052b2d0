/**
 * @module event-store/unprocessable
 * A fact the log refuses fails alone. When a statement of several facts is
 * refused for its data (not for the connection or the server), each fact is
 * appended again on its own, in order; one still refused is recorded as an
 * `UnprocessableFact` in its place: what it was (stream, type, dedupe key),
 * why (Postgres's message and SQLSTATE) and, in the `raw` column, what came
 * (the bytes received, or the fact as JSON text). Its caller gets that
 * event's position with `unprocessable: true`: the fact IS durably recorded,
 * so a webhook is answered 2xx and a sync goes on past it.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../db/client";
import { appendFacts } from "./append-facts";
import type { EventMetadata, FactAppendResult, NewStreamEvent } from "./event";
import { storableId } from "./storable";

export const UNPROCESSABLE_STREAM = "unprocessable-facts";
export const UNPROCESSABLE_TYPE = "UnprocessableFact";

export interface UnprocessableFactData {
  /** The refused fact's stream, type and dedupe key (each cut at 1,000 characters); no stream nor key for an unreadable item. */
  streamId: string | null;
  type: string;
  dedupeKey: string | null;
  /** Postgres's error message and SQLSTATE; for an unreadable item, what is wrong with its shape and no SQLSTATE. */
  reason: string;
  sqlState: string | null;
  /** The Unipile account the fact named (`data.unipileAccountId`), so the auditors' account filter finds it. */
  unipileAccountId?: string;
  /** What the `raw` column holds: the bytes received, the refused fact as JSON text, or the unreadable item as JSON text. */
  raw: "received" | "event" | "item";
}

/**
 * SQLSTATE classes that blame the statement's data, so that another fact of
 * the batch may well go in: 22 data exception (bad text, bad JSON, values out
 * of range), 23 integrity constraint violation, 54 program limit exceeded
 * (index row or JSON too large), P0 raised by a PL/pgSQL function (a trigger
 * refusing the row). Connection failures (08, or a client error without a
 * SQLSTATE), shutdowns (57), resources (53), conflicts (40) are not: the
 * statement is not retried fact by fact, and the caller gets the error.
 */
const DATA_ERROR_CLASSES = new Set(["22", "23", "54", "P0"]);

export function isDataError(error: unknown): error is { code: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && DATA_ERROR_CLASSES.has(code.slice(0, 2));
}

/** A field of the refused fact as text, cut at `max` (it may be what made it too big); a fact built wrong may hold anything. */
const clip = (value: unknown, max = 1000) => {
  const text = typeof value === "string" ? value : String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

/** The dedupe key of a refused fact's record: redeliveries of one refused fact are one record. */
export function unprocessableKey(dedupeKey: string): string {
  const key = storableId(dedupeKey);
  return key.length <= 500 ? `unprocessable:${key}` : `unprocessable:sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** The event recorded in place of a fact the log refused. */
export function unprocessableFact(fact: NewStreamEvent, error: { code: string; message: string }): NewStreamEvent<typeof UNPROCESSABLE_TYPE, UnprocessableFactData> {
  const accountId = (fact.data as { unipileAccountId?: unknown } | null)?.unipileAccountId;
  const came = JSON.stringify({ streamId: fact.streamId, type: fact.type, schemaVersion: fact.schemaVersion ?? 1, data: fact.data, metadata: fact.metadata, dedupeKey: fact.dedupeKey ?? null });
  return {
    streamId: UNPROCESSABLE_STREAM,
    type: UNPROCESSABLE_TYPE,
    data: {
      streamId: clip(fact.streamId),
      type: clip(fact.type),
      dedupeKey: fact.dedupeKey === undefined ? null : clip(fact.dedupeKey),
      reason: clip(error.message),
      sqlState: error.code,
      ...(typeof accountId === "string" && accountId.length <= 200 ? { unipileAccountId: accountId } : {}),
      raw: fact.received ? "received" : "event",
    },
    metadata: fact.metadata,
    ...(fact.dedupeKey === undefined ? {} : { dedupeKey: unprocessableKey(fact.dedupeKey) }),
    received: { bytes: fact.received?.bytes ?? new TextEncoder().encode(came), lossy: fact.received?.lossy ?? false, always: true },
  };
}

/**
 * The record of an item Unipile listed that cannot be read as a fact, not
 * even the ids a fact needs (see `lenientListOf`): the `type` it would have
 * been, why, and the item as JSON text in `raw`. Keyed by the item's text,
 * so seeing it again on the next poll adds nothing.
 */
export function unreadableItemFact(type: string, item: unknown, issues: readonly string[], metadata: EventMetadata): NewStreamEvent<typeof UNPROCESSABLE_TYPE, UnprocessableFactData> {
  const came = JSON.stringify(item) ?? "null";
  const accountId = (item as { account_id?: unknown } | null)?.account_id;
  return {
    streamId: UNPROCESSABLE_STREAM,
    type: UNPROCESSABLE_TYPE,
    data: {
      streamId: null,
      type,
      dedupeKey: null,
      reason: clip(`unexpected shape: ${issues.join("; ")}`),
      sqlState: null,
      ...(typeof accountId === "string" && accountId.length <= 200 ? { unipileAccountId: accountId } : {}),
      raw: "item",
    },
    metadata,
    dedupeKey: `unprocessable:item:${createHash("sha256").update(storableId(came)).digest("hex")}`,
    received: { bytes: new TextEncoder().encode(came), lossy: false, always: true },
  };
}

/**
 * `appendFacts`, where a fact the log refuses fails alone (see the module).
 * On a refusal the facts go one by one in their order, so a checkpoint
 * placed last (history import) is still stored only after its facts.
 */
export async function appendFactsIsolating(sql: Sql, facts: readonly NewStreamEvent[]): Promise<FactAppendResult[]> {
  try {
    return await appendFacts(sql, facts);
  } catch (error) {
    if (!isDataError(error)) throw error;
    if (facts.length === 1) return [await recordUnprocessable(sql, facts[0] as NewStreamEvent, error)];
    const results: FactAppendResult[] = [];
    for (const fact of facts) results.push(await appendAlone(sql, fact));
    return results;
  }
}

async function appendAlone(sql: Sql, fact: NewStreamEvent): Promise<FactAppendResult> {
  try {
    const [result] = await appendFacts(sql, [fact]);
    if (!result) throw new Error("appendFacts answered nothing for a fact");
    return result;
  } catch (error) {
    if (!isDataError(error)) throw error;
    return recordUnprocessable(sql, fact, error);
  }
}

async function recordUnprocessable(sql: Sql, fact: NewStreamEvent, error: { code: string; message: string }): Promise<FactAppendResult> {
  const [result] = await appendFacts(sql, [unprocessableFact(fact, error)]);
  if (!result) throw new Error("the unprocessable fact was not stored");
  return { ...result, unprocessable: true };
}
