/**
 * payloads.ts on Unipile-shaped fixtures (the reference's example bodies,
 * anonymised): classification by shape, leniency where Unipile varies,
 * strictness on ids.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  classifyWebhookBody,
  listOf,
  RestChatSchema,
  RestMessageSchema,
} from "../../src/unipile/payloads";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(import.meta.dir, "../fixtures/unipile", `${name}.json`), "utf8"));

describe("classifyWebhookBody", () => {
  test("a WhatsApp 1:1 message_received with an @lid sender", () => {
    const result = classifyWebhookBody(fixture("message-received-whatsapp"));
    if (result.kind !== "messaging") throw new Error(`got ${result.kind}`);
    expect(result.known).toBe(true);
    expect(result.body).toMatchObject({ event: "message_received", is_sender: false, is_group: false, message: "Bonjour, ma commande est-elle partie ?" });
    expect(result.body.sender?.attendee_provider_id).toBe("160512172130375@lid");
    expect(result.body.sender?.attendee_specifics?.phone_number).toBe("+33698765432");
  });

  test("group, own message and reaction variants", () => {
    const group = classifyWebhookBody(fixture("message-received-group"));
    expect(group.kind === "messaging" && group.body.is_group && group.body.subject).toBe("Team Lyon");
    const own = classifyWebhookBody(fixture("message-received-own"));
    expect(own.kind === "messaging" && own.body.is_sender).toBe(true);
    const reaction = classifyWebhookBody(fixture("message-reaction"));
    if (reaction.kind !== "messaging") throw new Error(reaction.kind);
    expect(reaction.body.reaction).toBe("👍");
    expect(reaction.body.reaction_sender?.attendee_name).toBe("Marie Dupont");
  });

  test("attachments in both spellings, as an array or the docs' single object with strings", () => {
    const stale = classifyWebhookBody(fixture("message-received-docs-stale-attachment"));
    if (stale.kind !== "messaging") throw new Error(stale.kind);
    expect(stale.body.attachments).toEqual([
      { id: "3EB0C0FFEE", type: "img", fileName: null, mimetype: "image/jpeg", url: "att://x", fileSize: null, unavailable: false },
    ]);
    const alt = classifyWebhookBody(fixture("message-received-attachment-alt-keys"));
    if (alt.kind !== "messaging") throw new Error(alt.kind);
    expect(alt.body.attachments[0]).toMatchObject({ id: "3EB0AA11BB22CC33DD44", type: "file", fileName: "facture-1042.pdf" });
    expect(alt.body.is_sender).toBe(false);
  });

  test("unknown messaging events are kept, flagged unknown", () => {
    const result = classifyWebhookBody(fixture("message-unknown-event"));
    expect(result).toMatchObject({ kind: "messaging", known: false, body: { event: "message_pinned" } });
  });

  test("AccountStatus envelopes and the hosted-auth callback", () => {
    for (const [name, message] of [
      ["account-status-creation-success", "CREATION_SUCCESS"],
      ["account-status-sync-success", "SYNC_SUCCESS"],
      ["account-status-credentials", "CREDENTIALS"],
    ] as const) {
      const result = classifyWebhookBody(fixture(name));
      expect(result.kind === "account_status" && result.body.AccountStatus.message).toBe(message);
    }
    expect(classifyWebhookBody(fixture("hosted-auth-notify"))).toEqual({
      kind: "hosted_auth",
      body: { status: "CREATION_SUCCESS", account_id: "kR2mXq7vT0aLpYw3zN8bHg", name: "user_8421" },
    });
  });

  test("missing ids, non-objects and foreign shapes are unknown with a reason", () => {
    const body = fixture("message-received-whatsapp") as Record<string, unknown>;
    const { message_id: _dropped, ...withoutId } = body;
    expect(classifyWebhookBody(withoutId)).toMatchObject({ kind: "unknown", reason: expect.stringContaining("message_id") });
    expect(classifyWebhookBody({ AccountStatus: { message: "OK" } })).toMatchObject({ kind: "unknown" });
    expect(classifyWebhookBody([1, 2])).toMatchObject({ kind: "unknown" });
    expect(classifyWebhookBody({ event: "mail_received", account_id: "a" })).toMatchObject({ kind: "unknown" });
    expect(classifyWebhookBody({ type: "message.new", payload: {} })).toMatchObject({ kind: "unknown" });
  });
});

describe("REST shapes", () => {
  test("the chat and message list examples parse; is_sender 0/1 becomes a boolean", () => {
    const chats = listOf(RestChatSchema).parse(fixture("chat-list"));
    expect(chats.items.map((c) => c.type)).toEqual([0, 1]);
    expect(chats.cursor).toBe("eyJsaW1pdCI6Miwib2Zmc2V0IjoyfQ==");
    const messages = listOf(RestMessageSchema).parse(fixture("message-list"));
    expect(messages.items.map((m) => m.is_sender)).toEqual([false, true]);
    expect(messages.items[1]?.quoted?.provider_id).toBe("3EB0FFEEDDCCBBAA9988");
    expect(messages.cursor).toBeNull();
  });

  test("a message without its id is rejected", () => {
    const list = fixture("message-list") as { items: Array<Record<string, unknown>> };
    const { id: _id, ...withoutId } = list.items[0]!;
    expect(RestMessageSchema.safeParse(withoutId).success).toBe(false);
  });
});
