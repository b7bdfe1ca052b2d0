/**
 * @module sandbox/message-actions
 * What happens to messages, from the API or from the sandbox controls:
 * contacts writing, the account writing (through the API or from its phone;
 * both raise `message_received` with `is_sender` true), and reactions, reads,
 * edits, deletions and delivery receipts on stored messages, each webhooked
 * under its own event name.
 */
import { disconnectedAccount, invalidParameters, SandboxApiError, errorBody } from "./errors";
import { groupJid, isGroupJid, phoneDigits, providerMessageId, unipileId } from "./ids";
import type { Notifier } from "./notifier";
import type { SandboxAccount, SandboxAttachment, SandboxAttendee, SandboxChat, SandboxMessage, SandboxStore } from "./store";
import { senderProviderId } from "./views";
import { messagingBody, type EventExtras, type MessagingEvent } from "./webhook-bodies";

export interface WriteInput {
  chat: SandboxChat;
  sender: SandboxAttendee;
  text: string | null;
  attachments?: SandboxAttachment[];
  quoteId?: string;
  /** Past timestamp for history; new messages take the clock's. */
  timestamp?: string;
}

export interface MessageActions {
  /** Stores a message; webhooks it unless it is history. */
  write(input: WriteInput, options?: { silent?: boolean }): SandboxMessage;
  /** A message written by the account itself (API or phone). */
  writeAsAccount(account: SandboxAccount, chat: SandboxChat, text: string | null, attachments?: SandboxAttachment[], quoteId?: string): SandboxMessage;
  event(message: SandboxMessage, event: MessagingEvent, extras?: EventExtras): void;
  /** A group chat with these contacts (a new one unless `providerId` names an existing one). */
  groupChat(account: SandboxAccount, subject: string, members: SandboxAttendee[], providerId?: string): SandboxChat;
  requireOk(account: SandboxAccount): void;
}

export function createMessageActions(store: SandboxStore, notifier: Notifier): MessageActions {
  const event: MessageActions["event"] = (message, name, extras) => {
    const account = store.accounts.get(message.accountId);
    if (!account) return;
    notifier.messaging(messagingBody(store, account, name, message, extras));
  };

  const write: MessageActions["write"] = (input, options = {}) => {
    const { chat, sender } = input;
    if (input.quoteId) {
      const quoted = store.messages.get(input.quoteId);
      if (!quoted || quoted.chatId !== chat.id) throw invalidParameters("quote_id does not name a message of this chat.");
    }
    const message: SandboxMessage = {
      id: unipileId(),
      accountId: chat.accountId,
      chatId: chat.id,
      providerId: providerMessageId(),
      senderAttendeeId: sender.id,
      senderId: senderProviderId(sender),
      text: input.text,
      attachments: input.attachments ?? [],
      timestamp: input.timestamp ?? store.nextTimestamp(),
      isSender: sender.isSelf,
      ...(input.quoteId ? { quotedId: input.quoteId } : {}),
      reactions: [],
      seenBy: {},
      deleted: false,
      edited: false,
      // WhatsApp acknowledges the account's own messages at once; delivery to the contact comes later.
      delivered: !sender.isSelf,
    };
    store.addMessage(message);
    if (message.timestamp > chat.timestamp) chat.timestamp = message.timestamp;
    if (!sender.isSelf) chat.unreadCount += 1;
    if (!options.silent) event(message, "message_received");
    return message;
  };

  return {
    write,
    event,
    writeAsAccount(account, chat, text, attachments, quoteId) {
      return write({ chat, sender: store.selfAttendee(account), text, attachments, quoteId });
    },
    groupChat(account, subject, members, providerId) {
      if (providerId) {
        if (!isGroupJid(providerId)) throw invalidParameters("A group id must end with @g.us.");
        for (const chat of store.chats.values()) {
          if (chat.accountId === account.id && chat.providerId === providerId) return chat;
        }
      }
      const chat: SandboxChat = {
        id: unipileId(),
        accountId: account.id,
        providerId: providerId ?? groupJid(),
        type: 1,
        name: subject,
        attendeeIds: members.map((m) => m.id),
        timestamp: store.nextTimestamp(),
        unreadCount: 0,
        archived: 0,
        mutedUntil: null,
      };
      store.chats.set(chat.id, chat);
      return chat;
    },
    requireOk(account) {
      if (account.status !== "OK") throw disconnectedAccount();
    },
  };
}

/** Validates a phone given by a caller: digits with country code, 8 to 15 of them. */
export const requirePhone = (value: unknown, name: string): string => {
  const digits = typeof value === "string" ? phoneDigits(value) : "";
  if (digits.length < 8 || digits.length > 15) {
    throw new SandboxApiError(
      errorBody(400, "errors/invalid_parameters", `${name} must be a phone number with country code.`),
    );
  }
  return digits;
};

/** WhatsApp's limit on one text message, in characters. */
export const MAX_TEXT_LENGTH = 65_536;

/** Refuses a text longer than WhatsApp takes, as Unipile does (400 `too_many_characters`). */
export const requireTextWithinLimit = (text: string | undefined): void => {
  if (text !== undefined && [...text].length > MAX_TEXT_LENGTH) {
    throw new SandboxApiError(errorBody(400, "errors/too_many_characters", `The text is longer than ${MAX_TEXT_LENGTH} characters.`));
  }
};
