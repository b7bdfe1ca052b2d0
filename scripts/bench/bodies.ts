/**
 * `message_received` webhook bodies as Unipile sends them (the shape of
 * test/fixtures/unipile/message-received-whatsapp.json and the sandbox's
 * src/sandbox/webhook-bodies.ts), with deterministic ids so a run can be
 * repeated and generated events match webhooks byte for byte in shape.
 */
import { createHash } from "node:crypto";
import type { BenchChat } from "./common";

const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A 22-character Unipile-shaped id derived from `seed`. */
export function benchId(seed: string): string {
  const bytes = createHash("sha1").update(seed).digest();
  let out = "";
  for (let i = 0; i < 22; i++) out += URL_SAFE[(bytes[i % bytes.length] as number) % 64];
  return out;
}

/** A WhatsApp message key (`3EB0` + 16 hex digits) derived from `seed`. */
export function benchProviderMessageId(seed: string): string {
  return `3EB0${createHash("sha1").update(seed).digest("hex").slice(0, 16).toUpperCase()}`;
}

const LINES = [
  "Bonjour, ma commande est-elle partie ?",
  "Merci pour votre retour, je regarde ça demain matin et je vous redis.",
  "Pouvez-vous me rappeler demain ?",
  "C'est noté 👍",
  "Voici la facture du mois dernier, dites-moi si quelque chose ne va pas.",
  "À quelle heure ouvrez-vous samedi ?",
  "Parfait, merci !",
  "Le colis est arrivé abîmé, je vous envoie une photo.",
];

export const benchText = (n: number) => LINES[n % LINES.length] as string;

const jid = (phone: string) => `${phone}@s.whatsapp.net`;

function attendee(id: string, name: string, phone: string) {
  return {
    attendee_id: id,
    attendee_name: name,
    attendee_provider_id: jid(phone),
    attendee_profile_url: null,
    attendee_public_identifier: jid(phone),
    attendee_specifics: { provider: "WHATSAPP", phone_number: `+${phone}` },
  };
}

export interface BodyInput {
  messageId: string;
  providerMessageId: string;
  timestamp: string;
  text: string;
  /** The account's own message (sent from the phone). */
  isSender: boolean;
}

/** A flat `message_received` body for `chat`. */
export function messageReceivedBody(chat: BenchChat, input: BodyInput) {
  const contact = attendee(chat.contact.attendeeId, chat.contact.name, chat.contact.phone);
  const self = attendee(benchId(`self:${chat.unipileAccountId}`), "Moi", chat.accountPhone);
  return {
    event: "message_received",
    account_id: chat.unipileAccountId,
    account_type: "WHATSAPP",
    account_info: { type: "WHATSAPP", phone_number: `+${chat.accountPhone}` },
    webhook_name: "commsync-messaging",
    chat_id: chat.chatId,
    message_id: input.messageId,
    provider_chat_id: chat.providerChatId,
    provider_message_id: input.providerMessageId,
    timestamp: input.timestamp,
    message: input.text,
    is_sender: input.isSender,
    is_group: chat.isGroup,
    is_event: 0,
    event_type: null,
    message_type: "MESSAGE",
    subject: chat.subject,
    quoted: null,
    reply_to: null,
    is_forwarded: null,
    chat_pinned: 0,
    chat_content_type: null,
    folder: null,
    sender: input.isSender ? self : contact,
    attendees: [contact],
    attachments: [],
  };
}
