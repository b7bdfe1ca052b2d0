/**
 * The shapes of chats beyond a 1:1 text: groups (members, who wrote what),
 * contacts known by a privacy `@lid`, attachments both ways, new chats
 * started from phone numbers (and reused), group creation, quoted replies,
 * read marks synced to Unipile, messages sent from the phone, and chats the
 * service learns about from a webhook that does not describe them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitFor } from "../sandbox/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { connectAccount, type Conversation, conversationOf, getJson, type Json, listMessages, type Message, newPhone, send, expectRebuildMatchesLive } from "./support";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.control("DELETE", "/sandbox/faults");
  await h.close();
});

// ---------------------------------------------------------------- helpers

/**
 * Bun 1.4.5's `toMatchObject` writes the pattern's asymmetric matchers into
 * the received object when it matches: match a copy.
 */
const copy = <T>(value: T): T => structuredClone(value);

const incoming = (unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/incoming`, body);
const outgoing = (unipileAccountId: string, body: Json) =>
  h.control<{ message_id: string; chat_id: string }>("POST", `/sandbox/accounts/${unipileAccountId}/outgoing`, body);

const jid = (phone: string) => `${phone}@s.whatsapp.net`;
/** `33612345678` → `+33 6 12 34 56 78`. */
const spaced = (phone: string) => `+${phone.slice(0, 2)} ${phone.slice(2, 3)} ${phone.slice(3).replace(/(\d\d)(?=\d)/g, "$1 ")}`;
const groupJid = () => `120363${String(Math.floor(Math.random() * 1e12)).padStart(12, "0")}@g.us`;

const unwrap = <T>(result: { ok: true; value: T } | { ok: false; error: unknown }, what: string): T => {
  if (!result.ok) throw new Error(`${what} failed: ${JSON.stringify(result.error)}`);
  return result.value;
};
const sandboxMessages = async (chatId: string) => unwrap(await h.deps.unipile.gateway.listChatMessages({ chatId }), "listChatMessages").items;
const sandboxChats = async (unipileAccountId: string) => unwrap(await h.deps.unipile.gateway.listChats({ accountId: unipileAccountId, limit: 100 }), "listChats").items;
const sandboxChat = async (chatId: string) => unwrap(await h.deps.unipile.gateway.getChat(chatId), "getChat");

const getConversation = (as: string, id: string) => getJson<Conversation>(h, `/api/conversations/${id}`, as);
/** The messages of a conversation once `until` holds for them. */
const messagesWhen = (as: string, conversationId: string, until: (items: Message[]) => boolean) =>
  waitFor(async () => {
    const page = await listMessages(h, as, conversationId);
    return until(page.items) ? page.items : undefined;
  }, 10_000);

interface SendAnswer {
  success: true;
  messageId: string;
  conversationId: string | null;
  sendId: string;
  status: string;
  replayed: boolean;
  message: Message | null;
}
async function sent(response: Response): Promise<SendAnswer> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`send → ${response.status} ${text}`);
  return JSON.parse(text) as SendAnswer;
}

const eventTypes = async (streamId: string) => (await h.deps.eventStore.readStream(streamId)).map((e) => e.type);

// ---------------------------------------------------------------- groups and identities

describe("a group chat", () => {
  test("is a group conversation named by its subject, with its members, and each message's sender is the member who wrote", async () => {
    const account = await connectAccount(h);
    const alice = newPhone();
    const bob = newPhone();
    // Bob is already a contact (his name is known), then Alice writes in a group with him, then Bob answers there.
    await incoming(account.unipileAccountId, { from: bob, name: "Bob Martin", text: "En privé" });
    const first = await incoming(account.unipileAccountId, {
      from: alice,
      name: "Alice Durand",
      text: "Bonjour l'équipe",
      group: { subject: "Équipe Lyon", id: groupJid(), members: [bob] },
    });
    const second = await incoming(account.unipileAccountId, { from: bob, text: "Salut Alice", chat_id: first.chat_id });

    const conversation = await conversationOf(h, account.userId, first.chat_id, (c) => c.messageCount === 2);
    expect(copy(conversation)).toMatchObject({
      type: "group",
      name: "Équipe Lyon",
      providerChatId: expect.stringMatching(/@g\.us$/),
      unreadCount: 2,
      lastMessagePreview: "Salut Alice",
      accountId: account.accountId,
    });
    const members = (c: Conversation) => c.attendees.map((a) => ({ name: a.name, phone: a.phone })).sort((x, y) => String(x.phone).localeCompare(String(y.phone)));
    const expected = [
      { name: "Alice Durand", phone: alice },
      { name: "Bob Martin", phone: bob },
    ].sort((x, y) => x.phone.localeCompare(y.phone));
    expect(members(conversation)).toEqual(expected);

    const messages = (await listMessages(h, account.userId, conversation.id)).items;
    expect(messages.map((m) => [m.unipileMessageId, m.text, m.isSender, m.status])).toEqual([
      [second.message_id, "Salut Alice", false, "received"],
      [first.message_id, "Bonjour l'équipe", false, "received"],
    ]);
    expect(copy(messages[0]?.sender)).toMatchObject({ name: "Bob Martin", phone: bob, providerId: jid(bob) });
    expect(copy(messages[1]?.sender)).toMatchObject({ name: "Alice Durand", phone: alice, providerId: jid(alice) });

    // Unipile's description of the chat (fetched once, in the background) agrees, and does not bring the account itself in.
    await h.deps.messaging.fetcher.settled();
    const described = await getConversation(account.userId, conversation.id);
    expect(copy(described)).toMatchObject({ type: "group", name: "Équipe Lyon" });
    expect(members(described)).toEqual(expected);
    expect(described.attendees.some((a) => a.phone === account.phone)).toBe(false);
  });
});

describe("a contact known by a privacy @lid", () => {
  test("keeps the @lid as its provider id and its real phone from attendee_specifics, never digits of the lid", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();
    const first = await incoming(account.unipileAccountId, { from: contact, name: "Léa Moreau", text: "Coucou", lid: true });
    const conversation = await conversationOf(h, account.userId, first.chat_id);
    const [message] = (await listMessages(h, account.userId, conversation.id)).items as [Message];

    expect(message.sender.providerId).toMatch(/^\d+@lid$/);
    const lidDigits = (message.sender.providerId ?? "").replace("@lid", "");
    expect(lidDigits).not.toBe(contact);
    expect(copy(message.sender)).toMatchObject({ name: "Léa Moreau", phone: contact });

    await h.deps.messaging.fetcher.settled();
    const described = await getConversation(account.userId, conversation.id);
    expect(described.attendees.map((a) => a.phone)).toEqual([contact]);
    expect(described.attendees.some((a) => a.phone === lidDigits)).toBe(false);
    expect(described.name).toBe("Léa Moreau");

    // Answering by her phone number finds the same conversation.
    const reply = await sent(await send(h, account.userId, { content: "Bonjour Léa", recipients: [`+${contact}`], accountId: account.accountId }));
    expect(reply.conversationId).toBe(conversation.id);
    expect(await sandboxMessages(first.chat_id)).toHaveLength(2);
  });
});

// ---------------------------------------------------------------- attachments

describe("attachments", () => {
  test("a contact's attachments are described on the message and download with their exact bytes and type", async () => {
    const account = await connectAccount(h);
    const pdf = crypto.getRandomValues(new Uint8Array(3000));
    const png = crypto.getRandomValues(new Uint8Array(700));
    const first = await incoming(account.unipileAccountId, {
      from: newPhone(),
      name: "Hugo Lefèvre",
      text: "",
      attachments: [
        { file_name: "contrat signé.pdf", mimetype: "application/pdf", content_base64: Buffer.from(pdf).toString("base64") },
        { file_name: "photo.png", mimetype: "image/png", content_base64: Buffer.from(png).toString("base64") },
      ],
    });
    const conversation = await conversationOf(h, account.userId, first.chat_id);
    expect(conversation.lastMessagePreview).toBe("[file]");
    const [message] = (await listMessages(h, account.userId, conversation.id)).items as [Message];
    expect(message.text).toBeNull();
    expect(copy(message.attachments)).toMatchObject([
      { id: expect.any(String), type: "file", fileName: "contrat signé.pdf", mimetype: "application/pdf", size: 3000, unavailable: false },
      { id: expect.any(String), type: "img", mimetype: "image/png", size: 700, unavailable: false },
    ]);

    for (const [attachment, bytes, type] of [
      [message.attachments[0], pdf, "application/pdf"],
      [message.attachments[1], png, "image/png"],
    ] as const) {
      const response = await h.request(`/api/messages/${message.id}/attachments/${attachment?.id}`, { as: account.userId });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    }
    // The name is offered as the download's file name: exact in filename*, ASCII in filename.
    const named = await h.request(`/api/messages/${message.id}/attachments/${message.attachments[0]?.id}`, { as: account.userId });
    expect(named.headers.get("content-disposition")).toBe(`inline; filename="contrat sign_.pdf"; filename*=UTF-8''contrat%20sign%C3%A9.pdf`);
  });

  test("a multipart send carries its files to Unipile byte for byte, and they download back through the API", async () => {
    const account = await connectAccount(h);
    const first = await incoming(account.unipileAccountId, { from: newPhone(), name: "Emma Faure", text: "Le devis ?" });
    const conversation = await conversationOf(h, account.userId, first.chat_id);
    const devis = crypto.getRandomValues(new Uint8Array(5000));
    const plan = crypto.getRandomValues(new Uint8Array(1200));
    const form = new FormData();
    form.append("accountId", account.accountId);
    form.append("chatId", conversation.id);
    form.append("content", "Voici le devis et le plan");
    form.append("attachments", new File([devis], "devis.pdf", { type: "application/pdf" }));
    form.append("attachments", new File([plan], "plan.png", { type: "image/png" }));
    const answer = await sent(await h.request("/api/unipile/message", { method: "POST", as: account.userId, body: form }));
    expect(copy(answer.message)).toMatchObject({
      text: "Voici le devis et le plan",
      isSender: true,
      status: "sent",
      // Unipile names no file for images; the name it was sent under stays once the echo is in.
      attachments: [
        { fileName: "devis.pdf", mimetype: "application/pdf", size: 5000 },
        { fileName: "plan.png", mimetype: "image/png", size: 1200 },
      ],
    });
    // The log describes the files but never holds their bytes.
    const [requested] = await h.deps.eventStore.readStream(`message-send:${answer.sendId}`);
    expect(JSON.stringify(requested?.data).length).toBeLessThan(2000);

    // At Unipile (read through the SDK): the message with both files, their bytes intact.
    const atUnipile = (await sandboxMessages(first.chat_id)).find((m) => m.id === answer.message?.unipileMessageId);
    expect(atUnipile?.text).toBe("Voici le devis et le plan");
    expect(atUnipile?.attachments.map((a) => [a.file_name ?? null, a.mimetype, a.file_size])).toEqual([
      ["devis.pdf", "application/pdf", 5000],
      [null, "image/png", 1200],
    ]);
    for (const [i, bytes] of [devis, plan].entries()) {
      const file = unwrap(await h.deps.unipile.gateway.getAttachment({ messageId: atUnipile?.id ?? "", attachmentId: atUnipile?.attachments[i]?.id ?? "" }), "getAttachment");
      expect(file.bytes).toEqual(bytes);
    }

    // Once Unipile's echo arrives, our message knows the attachment ids and serves the bytes.
    const [withIds] = await messagesWhen(account.userId, conversation.id, (items) => items[0]?.id === answer.messageId && items[0].attachments.every((a) => a.id !== null));
    // …and the file names it was sent under, also the image's (Unipile names none)
    expect(withIds?.attachments.map((a) => a.fileName)).toEqual(["devis.pdf", "plan.png"]);
    const download = await h.request(`/api/messages/${answer.messageId}/attachments/${withIds?.attachments[0]?.id}`, { as: account.userId });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/pdf");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(devis);
  });
});

// ---------------------------------------------------------------- new chats

describe("sending to phone numbers", () => {
  test("a number with no chat starts one at Unipile; the answer's conversation lists the message; the next send reuses the chat", async () => {
    const account = await connectAccount(h);
    const phone = newPhone();
    const chatsBefore = await sandboxChats(account.unipileAccountId);

    const first = await sent(await send(h, account.userId, { content: "Bonjour, ici Acme", recipients: [spaced(phone)], accountId: account.accountId }));
    expect(copy(first)).toMatchObject({ success: true, status: "sent", replayed: false });
    expect(first.conversationId).toEqual(expect.any(String));
    expect(copy(first.message)).toMatchObject({ text: "Bonjour, ici Acme", isSender: true, status: "sent", conversationId: first.conversationId });

    // Unipile has one new chat with that number, holding the message.
    const chats = (await sandboxChats(account.unipileAccountId)).filter((c) => !chatsBefore.some((b) => b.id === c.id));
    expect(chats.map((c) => [c.provider_id, c.type])).toEqual([[jid(phone), 0]]);
    const chatId = chats[0]?.id ?? "";
    expect((await sandboxMessages(chatId)).map((m) => [m.text, m.is_sender])).toEqual([["Bonjour, ici Acme", true]]);
    expect(await eventTypes(`message-send:${first.sendId}`)).toEqual(["MessageSendRequested", "MessageSent"]);
    const [, sentEvent] = await h.deps.eventStore.readStream(`message-send:${first.sendId}`);
    expect(copy(sentEvent?.data)).toMatchObject({ newChat: true, unipileChatId: chatId });

    const conversationId = first.conversationId as string;
    const conversation = await getConversation(account.userId, conversationId);
    expect(copy(conversation)).toMatchObject({ unipileChatId: chatId, type: "single", unreadCount: 0, lastMessagePreview: "Bonjour, ici Acme" });
    expect((await listMessages(h, account.userId, conversationId)).items.map((m) => [m.id, m.text])).toEqual([[first.messageId, "Bonjour, ici Acme"]]);

    // The echo names the chat's WhatsApp id; from then on the number resolves to this conversation.
    await conversationOf(h, account.userId, chatId, (c) => c.providerChatId === jid(phone));
    const again = await sent(await send(h, account.userId, { content: "Vous êtes là ?", recipients: [`00${phone}`], accountId: account.accountId }));
    expect(again.conversationId).toBe(conversationId);
    const [requested] = await h.deps.eventStore.readStream(`message-send:${again.sendId}`);
    expect(copy(requested?.data)).toMatchObject({ unipileChatId: chatId, recipients: [] });
    const chatsAfter = (await sandboxChats(account.unipileAccountId)).filter((c) => c.provider_id === jid(phone));
    expect(chatsAfter.map((c) => c.id)).toEqual([chatId]);
    expect((await sandboxMessages(chatId)).map((m) => m.text)).toEqual(["Vous êtes là ?", "Bonjour, ici Acme"]);
    const both = await messagesWhen(account.userId, conversationId, (items) => items.length === 2);
    expect(both.map((m) => m.text)).toEqual(["Vous êtes là ?", "Bonjour, ici Acme"]);
  });

  test("several recipients and a subject start a WhatsApp group", async () => {
    const account = await connectAccount(h);
    const [p1, p2] = [newPhone(), newPhone()];
    const answer = await sent(await send(h, account.userId, { content: "Bienvenue dans le projet", recipients: [p1, `+${p2}`], subject: "Projet Alpha", accountId: account.accountId }));
    expect(answer.conversationId).toEqual(expect.any(String));

    const chatId = (await getConversation(account.userId, answer.conversationId as string)).unipileChatId;
    const atUnipile = await sandboxChat(chatId);
    expect(copy(atUnipile)).toMatchObject({ type: 1, name: "Projet Alpha" });
    expect(atUnipile.provider_id).toMatch(/@g\.us$/);
    const attendees = unwrap(await h.deps.unipile.gateway.listChatAttendees(chatId), "listChatAttendees");
    expect(attendees.filter((a) => !a.is_self).map((a) => a.provider_id).sort()).toEqual([jid(p1), jid(p2)].sort());

    await h.deps.messaging.fetcher.settled();
    const conversation = await conversationOf(h, account.userId, chatId, (c) => c.type === "group");
    expect(copy(conversation)).toMatchObject({ type: "group", name: "Projet Alpha", unreadCount: 0, messageCount: 1, lastMessagePreview: "Bienvenue dans le projet" });
    expect(conversation.attendees.map((a) => a.phone).sort()).toEqual([p1, p2].sort());
  });
});

// ---------------------------------------------------------------- replies, reads, the phone

describe("replies and reads", () => {
  test("a reply with quoteId (our message id) quotes that message at Unipile, and our message points to it", async () => {
    const account = await connectAccount(h);
    const question = await incoming(account.unipileAccountId, { from: newPhone(), name: "Jules Blanc", text: "Vous livrez le samedi ?" });
    await incoming(account.unipileAccountId, { from: newPhone(), text: "autre chose" });
    const conversation = await conversationOf(h, account.userId, question.chat_id);
    const [quoted] = (await listMessages(h, account.userId, conversation.id)).items as [Message];

    const answer = await sent(await send(h, account.userId, { content: "Oui, jusqu'à midi.", accountId: account.accountId, chatId: conversation.id, quoteId: quoted.id }));
    expect(answer.message?.quoted?.messageId).toBe(quoted.id);

    // At Unipile the reply quotes the question.
    const questionAtUnipile = (await sandboxMessages(question.chat_id)).find((m) => m.id === question.message_id);
    const replyAtUnipile = (await sandboxMessages(question.chat_id)).find((m) => m.id === answer.message?.unipileMessageId);
    expect(copy(replyAtUnipile?.quoted)).toMatchObject({ provider_id: questionAtUnipile?.provider_id ?? "?", text: "Vous livrez le samedi ?" });

    // After Unipile's echo, still one message, pointing to the question (with its text now known).
    const items = await messagesWhen(account.userId, conversation.id, (m) => m[0]?.id === answer.messageId && m[0].quoted?.text !== null && m[0].quoted?.text !== undefined);
    expect(items).toHaveLength(2);
    expect(copy(items[0]?.quoted)).toMatchObject({ messageId: quoted.id, text: "Vous livrez le samedi ?" });

    // Unipile's message id works as a quoteId too.
    const byUnipileId = await sent(await send(h, account.userId, { content: "Et le dimanche non.", accountId: account.accountId, chatId: conversation.id, quoteId: question.message_id }));
    expect(byUnipileId.message?.quoted?.messageId).toBe(quoted.id);
  });

  test("a contact's reply quoting an earlier message points to ours, found by its WhatsApp id", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();
    const question = await incoming(account.unipileAccountId, { from: contact, text: "Le colis est arrivé ?" });
    const conversation = await conversationOf(h, account.userId, question.chat_id);
    await incoming(account.unipileAccountId, { from: contact, text: "Ah si, pardon !", quote: question.message_id });
    const items = await messagesWhen(account.userId, conversation.id, (m) => m.length === 2);
    expect(copy(items[0]?.quoted)).toMatchObject({ messageId: items[1]?.id ?? "?", text: "Le colis est arrivé ?" });
  });

  test("POST /api/conversations/:id/read zeroes the unread count here and at Unipile", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();
    const first = await incoming(account.unipileAccountId, { from: contact, name: "Nina Garnier", text: "Un" });
    await incoming(account.unipileAccountId, { from: contact, text: "Deux" });
    const conversation = await conversationOf(h, account.userId, first.chat_id, (c) => c.unreadCount === 2);
    expect((await sandboxChat(first.chat_id)).unread_count).toBe(2);

    const response = await h.request(`/api/conversations/${conversation.id}/read`, { method: "POST", as: account.userId });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { conversation: Conversation; syncedToUnipile: boolean };
    expect(copy(body)).toMatchObject({ syncedToUnipile: true, conversation: { id: conversation.id, unreadCount: 0, messageCount: 2 } });
    expect((await getConversation(account.userId, conversation.id)).unreadCount).toBe(0);
    expect((await sandboxChat(first.chat_id)).unread_count).toBe(0);
    expect((await listMessages(h, account.userId, conversation.id)).items.map((m) => m.seen)).toEqual([true, true]);
    expect(await eventTypes(`unipile-chat:${first.chat_id}`)).toContain("ConversationMarkedRead");

    // Marking again is harmless; a new message is unread again, alone.
    expect((await h.request(`/api/conversations/${conversation.id}/read`, { method: "POST", as: account.userId })).status).toBe(200);
    await incoming(account.unipileAccountId, { from: contact, text: "Trois" });
    const after = await conversationOf(h, account.userId, first.chat_id, (c) => c.messageCount === 3);
    expect(after.unreadCount).toBe(1);
  });

  test("a message sent from the account's phone shows as ours, sent, and reads the conversation", async () => {
    const account = await connectAccount(h);
    const contact = newPhone();
    const first = await incoming(account.unipileAccountId, { from: contact, name: "Théo Roussel", text: "Vous êtes ouverts ?" });
    await conversationOf(h, account.userId, first.chat_id, (c) => c.unreadCount === 1);

    const fromPhone = await outgoing(account.unipileAccountId, { chat_id: first.chat_id, text: "Oui, jusqu'à 19h" });
    const conversation = await conversationOf(h, account.userId, first.chat_id, (c) => c.messageCount === 2);
    expect(copy(conversation)).toMatchObject({ unreadCount: 0, lastMessagePreview: "Oui, jusqu'à 19h" });
    const [mine, theirs] = (await listMessages(h, account.userId, conversation.id)).items as [Message, Message];
    expect(copy(mine)).toMatchObject({ unipileMessageId: fromPhone.message_id, text: "Oui, jusqu'à 19h", isSender: true, status: "sent", sendId: null });
    expect(mine.sender.phone).toBe(account.phone);
    expect(copy(theirs)).toMatchObject({ isSender: false, seen: true });

    // To a number with no chat yet: a new conversation, ours, nothing unread.
    const other = newPhone();
    const started = await outgoing(account.unipileAccountId, { to: other, text: "Votre commande est prête" });
    const fresh = await conversationOf(h, account.userId, started.chat_id);
    expect(copy(fresh)).toMatchObject({ unreadCount: 0, messageCount: 1, providerChatId: jid(other) });
    const [only] = (await listMessages(h, account.userId, fresh.id)).items as [Message];
    expect(copy(only)).toMatchObject({ isSender: true, status: "sent", text: "Votre commande est prête" });
  });
});

// ---------------------------------------------------------------- chats the service never saw

describe("a chat the service never saw", () => {
  test("gets its details from Unipile after the first webhook", async () => {
    const account = await connectAccount(h);
    const first = await incoming(account.unipileAccountId, {
      from: newPhone(),
      name: "Camille Petit",
      text: "Premier message du groupe",
      group: { subject: "Parents CE2", members: [newPhone()] },
    });
    await conversationOf(h, account.userId, first.chat_id);
    await h.deps.messaging.fetcher.settled();
    const types = await eventTypes(`unipile-chat:${first.chat_id}`);
    expect(types.filter((t) => t === "UnipileChatObserved")).toHaveLength(1);
    const conversation = await conversationOf(h, account.userId, first.chat_id);
    const chat = await sandboxChat(first.chat_id);
    expect(copy(conversation)).toMatchObject({ type: "group", name: chat.name ?? "?", providerChatId: chat.provider_id });

    // A second message in the chat asks for nothing more.
    await incoming(account.unipileAccountId, { from: newPhone(), text: "Deuxième", chat_id: first.chat_id });
    await conversationOf(h, account.userId, first.chat_id, (c) => c.messageCount === 2);
    await h.deps.messaging.fetcher.settled();
    expect((await eventTypes(`unipile-chat:${first.chat_id}`)).filter((t) => t === "UnipileChatObserved")).toHaveLength(1);
  });

  test("a bare webhook (no subject, no group flag, no attendees) still ends with the group's subject and members from Unipile", async () => {
    const account = await connectAccount(h);
    const [writer, member] = [newPhone(), newPhone()];
    // The chat exists at Unipile, but its webhook is lost…
    await h.control("POST", "/sandbox/faults", { webhooks: { mode: "drop" } });
    let created: { message_id: string; chat_id: string };
    try {
      created = await incoming(account.unipileAccountId, { from: writer, name: "Manon Leroy", text: "On se voit jeudi", group: { subject: "Club de lecture", members: [member] } });
    } finally {
      await h.control("DELETE", "/sandbox/faults");
    }
    // …and a webhook that only names it arrives.
    const bare = {
      event: "message_received",
      account_id: account.unipileAccountId,
      account_type: "WHATSAPP",
      chat_id: created.chat_id,
      message_id: created.message_id,
      timestamp: new Date().toISOString(),
      message: "On se voit jeudi",
      sender: { attendee_id: null, attendee_name: "Manon Leroy", attendee_provider_id: jid(writer) },
    };
    const delivered = await h.app.request("/api/unipile/webhook", { method: "POST", headers: { "unipile-auth": TEST_WEBHOOK_SECRET, "content-type": "application/json" }, body: JSON.stringify(bare) });
    expect(delivered.status).toBe(200);

    await h.deps.messaging.fetcher.settled();
    const conversation = await conversationOf(h, account.userId, created.chat_id, (c) => c.type === "group");
    expect(copy(conversation)).toMatchObject({ type: "group", name: "Club de lecture", providerChatId: expect.stringMatching(/@g\.us$/) });
    expect(conversation.attendees.map((a) => a.phone).sort()).toEqual([writer, member].sort());
    const [message] = (await listMessages(h, account.userId, conversation.id)).items as [Message];
    expect(copy(message)).toMatchObject({ text: "On se voit jeudi", isSender: false });
    expect(copy(message.sender)).toMatchObject({ name: "Manon Leroy", phone: writer });
  });
});

describe("the projection", () => {
  test("rebuilt from the log equals the live tables", async () => {
    await expectRebuildMatchesLive(h);
  });
});
