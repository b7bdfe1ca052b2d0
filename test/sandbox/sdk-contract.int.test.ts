/**
 * The sandbox driven only through the real unipile-node-sdk over HTTP, with
 * the SDK's response validators on at level 'error': every call below would
 * throw InvalidResponseTypeError if a response strayed from Unipile's shapes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UnipileClient, UnsuccessfulRequestError } from "unipile-node-sdk";
import type { RunningSandbox } from "../../src/sandbox";
import { connectedAccount, control, startTestSandbox, TOKEN } from "./support";

let sandbox: RunningSandbox;
let client: UnipileClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  client = new UnipileClient(sandbox.url, TOKEN, { validateRequestPayload: true, validateRequestPayloadLevel: "error" });
});
afterAll(() => sandbox.stop());

const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UnsuccessfulRequestError);
    return (error as UnsuccessfulRequestError).body as { status: number; type: string; title: string; detail: string };
  }
  throw new Error("expected the call to fail");
};

describe("accounts", () => {
  test("QR connect, scan, get, list, reconnect, delete follow the account's life", async () => {
    const connected = await client.account.connectWhatsapp();
    expect(connected.code).toStartWith("2@");
    expect((await client.account.getOne(connected.account_id)).sources[0]?.status).toBe("CONNECTING");

    await control(sandbox.url, "POST", `/sandbox/accounts/${connected.account_id}/scan`, { phone_number: "+33 6 11 22 33 44" });
    const account = await client.account.getOne(connected.account_id);
    expect(account.sources).toEqual([{ id: `${connected.account_id}_MESSAGING`, status: "OK" }]);
    expect(account).toMatchObject({ object: "Account", type: "WHATSAPP", connection_params: { im: { phone_number: "33611223344" } } });

    await control(sandbox.url, "POST", `/sandbox/accounts/${connected.account_id}/status`, { message: "CREDENTIALS" });
    expect((await client.account.getOne(connected.account_id)).sources[0]?.status).toBe("CREDENTIALS");
    const again = await client.account.reconnectWhatsapp(connected.account_id);
    expect(again.account_id).toBe(connected.account_id);
    expect(again.code).not.toBe(connected.code);
    await control(sandbox.url, "POST", `/sandbox/accounts/${connected.account_id}/scan`, {});
    expect((await client.account.getOne(connected.account_id)).sources[0]?.status).toBe("OK");

    expect(await client.account.delete(connected.account_id)).toEqual({ object: "AccountDeleted" });
    expect((await errorOf(client.account.getOne(connected.account_id))).type).toBe("errors/resource_not_found");
  });

  test("pairing-code variant answers a checkpoint the SDK accepts, carrying the code", async () => {
    const response = (await client.account.connect(
      { provider: "WHATSAPP" },
      { extra_params: { pairing_phone_number: "33612345678" } },
    )) as { object: string; account_id: string; checkpoint: { type: string; pairing_code?: string } };
    expect(response.object).toBe("Checkpoint");
    expect(response.checkpoint.pairing_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });

  test("account list pages with a base64 cursor and a null cursor at the end", async () => {
    for (let i = 0; i < 3; i += 1) await client.account.connectWhatsapp();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const list = await client.account.getAll({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...list.items.map((a) => a.id));
      cursor = list.cursor ?? undefined;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9+/]+=*$/);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe((await client.account.getAll({ limit: 250 })).items.length);
  });

  test("a wrong API key gets 401 missing_credentials", async () => {
    const stranger = new UnipileClient(sandbox.url, "wrong-token");
    expect(await errorOf(stranger.account.getAll())).toMatchObject({ status: 401, type: "errors/missing_credentials" });
  });
});

describe("messaging", () => {
  let accountId: string;
  beforeAll(async () => {
    accountId = await connectedAccount(sandbox.url, "33600000001", { chats: 5, messages_per_chat: 4 });
  });

  test("chats list, one chat with lastMessage, its messages and attendees", async () => {
    const chats = await client.messaging.getAllChats({ account_id: accountId, limit: 3 });
    expect(chats.items).toHaveLength(3);
    expect(chats.cursor).not.toBeNull();
    const group = (await client.messaging.getAllChats({ account_id: accountId, limit: 10 })).items.find((c) => c.type === 1);
    expect(group?.provider_id).toEndWith("@g.us");
    const first = chats.items[0]!;
    const chat = await client.messaging.getChat(first.id);
    expect(chat.lastMessage).not.toBeNull();
    const messages = await client.messaging.getAllMessagesFromChat({ chat_id: first.id, limit: 10 });
    expect(messages.items.map((m) => m.timestamp)).toEqual(messages.items.map((m) => m.timestamp).toSorted().reverse());
    const attendees = await client.messaging.getAllAttendeesFromChat(first.id);
    expect(attendees.items.some((a) => a.is_self === 1)).toBe(true);
    const one = await client.messaging.getAttendee(attendees.items[0]!.id);
    expect(one.provider_id).toMatch(/^\d+@s\.whatsapp\.net$/);
    const all = await client.messaging.getAllAttendees({ account_id: accountId, limit: 2 });
    expect(all.cursor).not.toBeNull();
  });

  test("sending text, attachments and a quote; the attachment comes back as bytes with its type", async () => {
    const chat = (await client.messaging.getAllChats({ account_id: accountId, limit: 1 })).items[0]!;
    const quoted = (await client.messaging.getAllMessagesFromChat({ chat_id: chat.id, limit: 1 })).items[0]!;
    const pdf = Buffer.from("%PDF-1.4 sandbox");
    const sent = await client.messaging.sendMessage(
      { chat_id: chat.id, text: "Voici la facture", attachments: [["facture.pdf", pdf]] },
      { extra_params: { quote_id: quoted.id } },
    );
    const message = await client.messaging.getMessage(sent.message_id!);
    expect(message).toMatchObject({ is_sender: 1, text: "Voici la facture", quoted: { provider_id: quoted.provider_id } });
    const attachment = message.attachments[0]!;
    expect(attachment).toMatchObject({ type: "file", file_name: "facture.pdf", mimetype: "application/pdf" });
    const blob = (await client.messaging.getMessageAttachment({ message_id: message.id, attachment_id: attachment.id })) as Blob;
    expect(blob.type).toBe("application/pdf");
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(pdf);
    const plain = await client.messaging.getMessage((await client.messaging.sendMessage({ chat_id: chat.id, text: "ok" })).message_id!);
    expect("quoted" in plain).toBe(false);
    expect("event_type" in plain).toBe(false);
  });

  test("starting chats: 1:1 reuses the chat, several attendees with a subject make a group", async () => {
    const started = await client.messaging.startNewChat({ account_id: accountId, attendees_ids: ["33698765432@s.whatsapp.net"], text: "Bonjour" });
    const again = await client.messaging.startNewChat({ account_id: accountId, attendees_ids: ["33698765432@s.whatsapp.net"], text: "Re" });
    expect(again.chat_id).toBe(started.chat_id);
    const group = await client.messaging.startNewChat({
      account_id: accountId,
      attendees_ids: ["33698765432@s.whatsapp.net", "33687654321@s.whatsapp.net"],
      subject: "Team Lyon",
      text: "Bienvenue",
    });
    const chat = await client.messaging.getChat(group.chat_id!);
    expect(chat).toMatchObject({ type: 1, name: "Team Lyon" });
    expect(await errorOf(client.messaging.startNewChat({ account_id: accountId, attendees_ids: ["+33 6"], text: "x" }))).toMatchObject({
      status: 400,
      type: "errors/invalid_parameters",
    });
  });

  test("setReadStatus clears the unread count; messages list by account; 404 on unknown ids", async () => {
    const unread = (await client.messaging.getAllChats({ account_id: accountId, unread: true })).items[0]!;
    expect(await client.messaging.setChatStatus({ chat_id: unread.id, action: "setReadStatus", value: true })).toEqual({ object: "ChatPatched" });
    expect((await client.messaging.getChat(unread.id)).unread_count).toBe(0);
    const messages = await client.messaging.getAllMessages({ account_id: accountId, limit: 5 });
    expect(messages.items.every((m) => m.account_id === accountId)).toBe(true);
    expect((await errorOf(client.messaging.getChat("nope"))).status).toBe(404);
    expect((await errorOf(client.messaging.getMessage("nope"))).type).toBe("errors/resource_not_found");
  });

  test("a disconnected account cannot send: 401 disconnected_account", async () => {
    const id = await connectedAccount(sandbox.url, "33600000002", { chats: 1, messages_per_chat: 1 });
    const chat = (await client.messaging.getAllChats({ account_id: id })).items[0]!;
    await control(sandbox.url, "POST", `/sandbox/accounts/${id}/status`, { message: "CREDENTIALS" });
    expect(await errorOf(client.messaging.sendMessage({ chat_id: chat.id, text: "x" }))).toEqual({
      status: 401,
      type: "errors/disconnected_account",
      title: "Disconnected account",
      detail: "The account appears to be disconnected from the provider service.",
    });
  });
});

describe("webhooks", () => {
  test("create, list, delete", async () => {
    const created = await client.webhook.create({
      source: "messaging",
      request_url: "http://127.0.0.1:9/hook",
      name: "wa-inbound",
      events: ["message_received", "message_reaction", "message_read"],
      headers: [{ key: "Unipile-Auth", value: "secret" }],
    });
    const list = await client.webhook.getAll();
    expect(list.items.find((w) => w.id === created.webhook_id)).toMatchObject({ request_url: "http://127.0.0.1:9/hook", type: "AUTO" });
    expect(await client.webhook.delete(created.webhook_id)).toEqual({ object: "WebhookDeleted" });
    expect((await errorOf(client.webhook.delete(created.webhook_id))).status).toBe(404);
  });
});

describe("paging at scale", () => {
  test("1,000 chats and 10,000 messages page out exactly once each, even while new ones arrive", async () => {
    const id = await connectedAccount(sandbox.url, "33600000003");
    await control(sandbox.url, "POST", `/sandbox/accounts/${id}/history`, { chats: 1000, messages_per_chat: 10 });

    const chatIds: string[] = [];
    let cursor: string | undefined;
    do {
      const list = await client.messaging.getAllChats({ account_id: id, limit: 250, ...(cursor ? { cursor } : {}) });
      chatIds.push(...list.items.map((c) => c.id));
      cursor = list.cursor ?? undefined;
    } while (cursor);
    expect(chatIds.length).toBe(1000);
    expect(new Set(chatIds).size).toBe(1000);

    const messageIds: string[] = [];
    let pages = 0;
    do {
      const list = await client.messaging.getAllMessages({ account_id: id, limit: 250, ...(cursor ? { cursor } : {}) });
      messageIds.push(...list.items.map((m) => m.id));
      cursor = list.cursor ?? undefined;
      pages += 1;
      // New messages arriving mid-way sort above the cursor and must not shift the pages.
      if (pages === 2) await control(sandbox.url, "POST", `/sandbox/accounts/${id}/incoming`, { from: "33699999999", text: "new" });
    } while (cursor);
    expect(messageIds.length).toBe(10_000);
    expect(new Set(messageIds).size).toBe(10_000);
  });
});
