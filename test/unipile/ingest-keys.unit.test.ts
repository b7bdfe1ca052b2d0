/**
 * Exactly once rests on one key per fact, whichever path brought it: the
 * `message_received` webhook and the REST message of the same message (the
 * poll, the history import, a lookup) must be stored once, on one stream.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { messageObservedFact } from "../../src/unipile/ingest/rest-facts";
import { translateWebhook } from "../../src/unipile/ingest/webhook-facts";
import { messagingDedupeKey } from "../../src/unipile/ingest/keys";
import { classifyWebhookBody, type MessagingWebhook } from "../../src/unipile/payloads";

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dir, "../fixtures/unipile", `${name}.json`), "utf8"));
const metadata = { source: "poll" as const, actor: "system", receivedAt: "2025-03-15T10:45:00.000Z" };
const AT = new Date("2025-03-15T10:45:00.000Z");

function webhookFact(body: unknown) {
  const fact = translateWebhook(classifyWebhookBody(body), body);
  if (fact.kind !== "fact") throw new Error(`expected a keyed fact, got ${fact.kind}`);
  return fact;
}

function restMessage(id: string) {
  const list = fixture("message-list") as { items: { id: string; chat_id: string; account_id: string }[] };
  const message = list.items.find((m) => m.id === id);
  if (!message) throw new Error(`message-list.json has no message ${id}`);
  return message;
}

describe("ingest keys", () => {
  test("given one message as a webhook and as a REST item, when both become facts, then they have one key and one stream", () => {
    const webhook = fixture("message-received-whatsapp") as { message_id: string };
    const fromWebhook = webhookFact(webhook);
    const fromRest = messageObservedFact(restMessage(webhook.message_id), "poll", AT, metadata);

    expect(fromWebhook.dedupeKey).toBe(`unipile-message:${webhook.message_id}`);
    expect(fromRest.dedupeKey).toBe(fromWebhook.dedupeKey as string);
    expect(fromRest.streamId).toBe(fromWebhook.streamId);
  });

  test("given Unipile's retry of a webhook, when it becomes a fact, then its key is the first delivery's", () => {
    const body = fixture("message-received-whatsapp");
    expect(webhookFact(structuredClone(body)).dedupeKey).toBe(webhookFact(body).dedupeKey as string);
  });

  test("given two messages of one chat, when they become facts, then their keys differ and their stream is the same", () => {
    const [first, second] = (fixture("message-list") as { items: { id: string }[] }).items;
    const a = messageObservedFact(restMessage(first!.id), "poll", AT, metadata);
    const b = messageObservedFact(restMessage(second!.id), "backfill", AT, metadata);
    expect(a.dedupeKey).not.toBe(b.dedupeKey as string);
    expect(a.streamId).toBe(b.streamId);
  });

  test("given a reaction to a message, when it becomes a fact, then its key names the message but not as its arrival", () => {
    const reaction = webhookFact(fixture("message-reaction"));
    const body = classifyWebhookBody(fixture("message-reaction"));
    if (body.kind !== "messaging") throw new Error("the reaction fixture is a messaging webhook");
    expect(reaction.dedupeKey).toBe(messagingDedupeKey(body.body as MessagingWebhook));
    expect(reaction.dedupeKey).toStartWith(`unipile-message:${body.body.message_id}:message_reaction:`);
    const other = { ...(body.body as MessagingWebhook), reaction: "👎" };
    expect(messagingDedupeKey(other)).not.toBe(reaction.dedupeKey as string);
  });
});
