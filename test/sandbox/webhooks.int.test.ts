/**
 * What the sandbox POSTs to webhooks, captured by a real receiver: the three
 * Unipile body shapes with the reference's field lists, configured headers
 * only, filters, and every body accepted by the service's schemas.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSandbox } from "../../src/sandbox";
import { classifyWebhookBody } from "../../src/unipile/payloads";
import { control, startReceiver, startTestSandbox, waitFor } from "./support";

// §6.5 of the reference: the keys of a WhatsApp message_received body.
const MESSAGE_KEYS = [
  "event", "account_id", "account_type", "account_info", "webhook_name", "chat_id", "message_id", "provider_chat_id",
  "provider_message_id", "timestamp", "message", "is_sender", "is_group", "is_event", "event_type", "message_type",
  "subject", "quoted", "reply_to", "is_forwarded", "chat_pinned", "chat_content_type", "folder", "sender", "attendees", "attachments",
].toSorted();
const ATTENDEE_KEYS = ["attendee_id", "attendee_name", "attendee_provider_id", "attendee_profile_url", "attendee_public_identifier", "attendee_specifics"].toSorted();
const ALL_EVENTS = ["message_received", "message_reaction", "message_read", "message_edited", "message_deleted", "message_delivered"];

let sandbox: RunningSandbox;
let receiver: ReturnType<typeof startReceiver>;
let accountId: string;
type Json = Record<string, any>;
const bodies = () => receiver.received.map((r) => r.json as Json);
const messagingBodies = (event: string) => bodies().filter((b) => b.event === event && b.account_id === accountId);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  receiver = startReceiver();
  await control(sandbox.url, "POST", "/api/v1/webhooks", {
    source: "messaging", request_url: receiver.url, name: "wa-inbound", events: ALL_EVENTS,
    headers: [{ key: "Unipile-Auth", value: "s3cret-s3cret-s3cret" }],
  });
  await control(sandbox.url, "POST", "/api/v1/webhooks", {
    source: "account_status", request_url: receiver.url, headers: [{ key: "Unipile-Auth", value: "s3cret-s3cret-s3cret" }, { key: "Content-Type", value: "application/json" }],
  });
  const checkpoint = await control<{ account_id: string }>(sandbox.url, "POST", "/api/v1/accounts", { provider: "WHATSAPP" });
  accountId = checkpoint.account_id;
  await control(sandbox.url, "POST", `/sandbox/accounts/${accountId}/scan`, { phone_number: "33612345678", history: { chats: 3, messages_per_chat: 3 } });
});
afterAll(async () => {
  await sandbox.stop();
  receiver.stop();
});

describe("account status", () => {
  test("a scan sends CREATION_SUCCESS, OK, SYNC_SUCCESS in the AccountStatus envelope; history sends no messages", async () => {
    await waitFor(() => bodies().filter((b) => b.AccountStatus).length >= 3);
    expect(bodies().filter((b) => b.AccountStatus)).toEqual(
      ["CREATION_SUCCESS", "OK", "SYNC_SUCCESS"].map((message) => ({ AccountStatus: { account_id: accountId, account_type: "WHATSAPP", message } })),
    );
    expect(bodies().filter((b) => b.event)).toEqual([]);
    const status = receiver.received.find((r) => (r.json as Json).AccountStatus)!;
    expect(status.headers["unipile-auth"]).toBe("s3cret-s3cret-s3cret");
    expect(status.headers["content-type"]).toBe("application/json");
  });

  test("status changes and a reconnect: CREDENTIALS, then RECONNECTED and OK", async () => {
    await control(sandbox.url, "POST", `/sandbox/accounts/${accountId}/status`, { message: "CREDENTIALS" });
    await control(sandbox.url, "POST", `/api/v1/accounts/${accountId}`, { provider: "WHATSAPP" });
    await control(sandbox.url, "POST", `/sandbox/accounts/${accountId}/scan`, {});
    const messages = await waitFor(() => {
      const list = bodies().filter((b) => b.AccountStatus).map((b) => b.AccountStatus.message);
      return list.length >= 6 && list;
    });
    expect(messages.slice(3)).toEqual(["CREDENTIALS", "RECONNECTED", "OK"]);
  });
});

describe("messaging events", () => {
  test("a contact writing as an @lid: flat body with the reference's keys, booleans, no JSON content type", async () => {
    const sent = await control<{ message_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/incoming`, {
      from: "+33698765432", name: "Marie Dupont", text: "Bonjour, ma commande est-elle partie ?", lid: true,
    });
    const body = await waitFor(() => messagingBodies("message_received").find((b) => b.message_id === sent.message_id));
    expect(Object.keys(body).toSorted()).toEqual(MESSAGE_KEYS);
    expect(body).toMatchObject({
      account_type: "WHATSAPP", account_info: { type: "WHATSAPP", phone_number: "+33612345678" }, webhook_name: "wa-inbound",
      provider_chat_id: "33698765432@s.whatsapp.net", message: "Bonjour, ma commande est-elle partie ?", is_sender: false,
      is_group: false, is_event: 0, event_type: null, message_type: "MESSAGE", subject: null, quoted: null, attachments: [],
    });
    expect(body.timestamp).toBe(new Date(body.timestamp).toISOString());
    expect(Object.keys(body.sender).toSorted()).toEqual(ATTENDEE_KEYS);
    expect(body.sender.attendee_provider_id).toMatch(/^\d{15}@lid$/);
    expect(body.sender.attendee_public_identifier).toBe("33698765432@s.whatsapp.net");
    expect(body.sender.attendee_specifics).toMatchObject({ provider: "WHATSAPP", phone_number: "+33698765432" });
    expect(body.attendees).toEqual([body.sender]);
    const raw = receiver.received.find((r) => (r.json as Json).message_id === sent.message_id)!;
    expect(raw.headers["content-type"]).toBeUndefined();
    expect(raw.headers["unipile-auth"]).toBe("s3cret-s3cret-s3cret");
  });

  test("the account's own messages (API and phone) raise message_received with is_sender true", async () => {
    const incoming = await control<{ chat_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/incoming`, { from: "33611112222", text: "Salut" });
    const form = new FormData();
    form.append("text", "Réponse");
    const response = await fetch(`${sandbox.url}/api/v1/chats/${incoming.chat_id}/messages`, { method: "POST", headers: { "X-API-KEY": "test-sandbox-token" }, body: form });
    const apiSent = (await response.json()) as { message_id: string };
    const phoneSent = await control<{ message_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/outgoing`, { to: "33611112222", text: "Depuis le téléphone" });
    for (const id of [apiSent.message_id, phoneSent.message_id]) {
      const body = await waitFor(() => messagingBodies("message_received").find((b) => b.message_id === id));
      expect(body.is_sender).toBe(true);
      expect(body.sender.attendee_public_identifier).toBe("33612345678@s.whatsapp.net");
      expect(body.chat_id).toBe(incoming.chat_id);
    }
  });

  test("groups carry is_group, subject and a @g.us chat id; attachments and quotes are described", async () => {
    const first = await control<{ message_id: string; chat_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/incoming`, {
      from: "33633334444", text: "Salut l'équipe", group: { subject: "Team Lyon", members: ["33655556666"] },
    });
    const second = await control<{ message_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/incoming`, {
      from: "33655556666", text: "", chat_id: first.chat_id, quote: first.message_id,
      attachments: [{ file_name: "plan.pdf", mimetype: "application/pdf", content_base64: Buffer.from("%PDF").toString("base64") }],
    });
    const body = await waitFor(() => messagingBodies("message_received").find((b) => b.message_id === second.message_id));
    expect(body).toMatchObject({ is_group: true, subject: "Team Lyon", message: "", quoted: { text: "Salut l'équipe" } });
    expect(body.provider_chat_id).toEndWith("@g.us");
    expect(body.attendees).toHaveLength(2);
    expect(body.attachments[0]).toMatchObject({ type: "file", file_name: "plan.pdf", mimetype: "application/pdf", file_size: 4 });
  });

  test("reaction, read, edit, delete and delivered each arrive under their event name", async () => {
    const mine = await control<{ message_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${accountId}/outgoing`, { to: "33677778888", text: "Bonjour" });
    const base = `/sandbox/accounts/${accountId}/messages/${mine.message_id}`;
    await control(sandbox.url, "POST", `${base}/delivered`, {});
    await control(sandbox.url, "POST", `${base}/read`, {});
    await control(sandbox.url, "POST", `${base}/reaction`, { value: "👍" });
    await control(sandbox.url, "POST", `${base}/edit`, { text: "Bonjour !" });
    await control(sandbox.url, "POST", `${base}/delete`, {});
    const events = await waitFor(() => {
      const list = bodies().filter((b) => b.message_id === mine.message_id);
      return list.length >= 6 && list;
    });
    expect(events.map((b) => b.event)).toEqual([
      "message_received", "message_delivered", "message_read", "message_reaction", "message_edited", "message_deleted",
    ]);
    const reaction = events.find((b) => b.event === "message_reaction")!;
    expect(reaction.reaction).toBe("👍");
    expect(reaction.reaction_sender.attendee_public_identifier).toBe("33677778888@s.whatsapp.net");
    expect(events.find((b) => b.event === "message_edited")!.message).toBe("Bonjour !");
  });

  test("every body sent is accepted by the service's webhook schemas", async () => {
    for (const body of bodies()) {
      const result = classifyWebhookBody(body);
      expect(result.kind).toBe(body.AccountStatus ? "account_status" : "messaging");
      if (result.kind === "messaging") expect(result.known).toBe(true);
    }
  });
});

describe("filters", () => {
  test("account_ids and the default events (message_received only) filter deliveries", async () => {
    const other = startReceiver();
    const checkpoint = await control<{ account_id: string }>(sandbox.url, "POST", "/api/v1/accounts", { provider: "WHATSAPP" });
    await control(sandbox.url, "POST", `/sandbox/accounts/${checkpoint.account_id}/scan`, {});
    await control(sandbox.url, "POST", "/api/v1/webhooks", { source: "messaging", request_url: other.url, account_ids: [checkpoint.account_id] });
    await control(sandbox.url, "POST", `/sandbox/accounts/${accountId}/incoming`, { from: "33611119999", text: "not for other" });
    const mine = await control<{ message_id: string }>(sandbox.url, "POST", `/sandbox/accounts/${checkpoint.account_id}/incoming`, { from: "33611119999", text: "for other" });
    await control(sandbox.url, "POST", `/sandbox/accounts/${checkpoint.account_id}/messages/${mine.message_id}/read`, {});
    await waitFor(() => other.received.length >= 1);
    await sandbox.sandbox.context.deliverer.idle();
    expect(other.received.map((r) => (r.json as Json).message)).toEqual(["for other"]);
    other.stop();
  });

  test("a hosted-auth link's notify_url gets {status, account_id, name}", async () => {
    const notify = startReceiver();
    const link = await control<{ url: string }>(sandbox.url, "POST", "/api/v1/hosted/accounts/link", {
      type: "create", providers: ["WHATSAPP"], api_url: sandbox.url, expiresOn: "2030-01-01T00:00:00.000Z", name: "user_8421", notify_url: notify.url,
    });
    const scan = await fetch(link.url, { method: "POST", headers: { "X-API-KEY": "test-sandbox-token" } });
    const { account_id } = (await scan.json()) as { account_id: string };
    const received = await waitFor(() => notify.received[0]);
    expect(received.json).toEqual({ status: "CREATION_SUCCESS", account_id, name: "user_8421" });
    expect(classifyWebhookBody(received.json).kind).toBe("hosted_auth");
    notify.stop();
  });
});
