/**
 * @module sandbox/history
 * Generated chat history, as if synced from the phone after linking: 1:1
 * chats with named contacts (every third one writing as an `@lid`), every
 * fifth chat a group, messages alternating between contact and account in
 * the past. History raises no webhooks (Unipile sends none for it).
 */
import type { MessageActions } from "./message-actions";
import type { SandboxAccount, SandboxStore } from "./store";

const FIRST = ["Marie", "Lucas", "Chloé", "Hugo", "Léa", "Louis", "Emma", "Jules", "Inès", "Nathan", "Sofia", "Adam"];
const LAST = ["Dupont", "Martin", "Bernard", "Petit", "Robert", "Richard", "Durand", "Moreau", "Laurent", "Simon"];
const LINES = [
  "Bonjour, ma commande est-elle partie ?",
  "Merci pour votre retour",
  "Pouvez-vous me rappeler demain ?",
  "C'est noté 👍",
  "Voici la facture",
  "À quelle heure ouvrez-vous ?",
  "Parfait, merci !",
];

export interface HistoryInput {
  chats: number;
  messagesPerChat: number;
  /** Newest history message time (epoch ms); older ones step back a minute each. */
  endMs: number;
}

/** Seeds `chats` chats of `messagesPerChat` messages each; returns the chats' ids. */
export function seedHistory(
  store: SandboxStore,
  actions: MessageActions,
  account: SandboxAccount,
  input: HistoryInput,
): string[] {
  const self = store.selfAttendee(account);
  const total = input.chats * input.messagesPerChat;
  let step = 0;
  const chatIds: string[] = [];
  const base = Number(account.phone?.slice(-6) ?? 0);
  for (let c = 0; c < input.chats; c += 1) {
    const phone = `336${String((base * 7919 + c * 104_729 + store.attendees.size) % 1e8).padStart(8, "0")}`;
    const name = `${FIRST[c % FIRST.length]} ${LAST[Math.floor(c / FIRST.length) % LAST.length]}`;
    const contact = store.contact(account.id, phone, name, c % 3 === 2);
    const chat =
      c % 5 === 4
        ? actions.groupChat(account, `Groupe ${c + 1}`, [contact, store.contact(account.id, `${phone.slice(0, -1)}9`)])
        : store.directChat(account.id, contact);
    chatIds.push(chat.id);
    const isNew = store.chatMessages(chat.id).length === 0;
    for (let m = 0; m < input.messagesPerChat; m += 1) {
      step += 1;
      // Interleaved across chats so every chat has recent and old messages.
      const timestamp = new Date(input.endMs - (total - (m * input.chats + c)) * 60_000).toISOString();
      const fromContact = m % 2 === 0;
      const sender = fromContact ? (store.attendees.get(chat.attendeeIds[m % chat.attendeeIds.length] ?? "") ?? contact) : self;
      actions.write({ chat, sender, text: LINES[step % LINES.length] ?? "", timestamp }, { silent: true });
    }
    // History arrives read, except the last contact message; a new chat's activity is its newest message.
    chat.unreadCount = Math.min(chat.unreadCount, 1);
    const newest = store.chatMessages(chat.id).at(-1);
    if (isNew && newest) chat.timestamp = newest.timestamp;
  }
  return chatIds;
}
