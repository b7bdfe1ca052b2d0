/**
 * @module sandbox/persistence
 * The development sandbox's state kept in a file (`.data/sandbox.json` by
 * default), so a restart of ./scripts/start finds the accounts it linked,
 * with their chats, messages and webhooks: without it the drift check would
 * get 404 for every linked account and mark it `deleted`, a final state.
 * The file is written (to a temporary file, then renamed) shortly after each
 * request that may change the state, and at stop. Tests give no file: their
 * sandbox starts empty. Contact messages held for an account that was not
 * OK are not kept.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { SandboxAccount, SandboxAttachment, SandboxMessage, SandboxStore } from "./store";

const FORMAT = 1;

type StoredAccount = Omit<SandboxAccount, "pending">;
type StoredMessage = Omit<SandboxMessage, "attachments"> & { attachments: (Omit<SandboxAttachment, "bytes"> & { bytes: string })[] };

interface Snapshot {
  format: typeof FORMAT;
  accounts: StoredAccount[];
  attendees: ReturnType<SandboxStore["attendees"]["get"]>[];
  chats: ReturnType<SandboxStore["chats"]["get"]>[];
  messages: StoredMessage[];
  webhooks: ReturnType<SandboxStore["webhooks"]["get"]>[];
}

export function snapshotOf(store: SandboxStore): Snapshot {
  return {
    format: FORMAT,
    accounts: [...store.accounts.values()].map(({ pending: _pending, ...account }) => account),
    attendees: [...store.attendees.values()],
    chats: [...store.chats.values()],
    messages: [...store.messages.values()].map((m) => ({
      ...m,
      attachments: m.attachments.map((a) => ({ ...a, bytes: Buffer.from(a.bytes).toString("base64") })),
    })),
    webhooks: [...store.webhooks.values()],
  };
}

/** Puts a snapshot's state into an empty store. */
export function restoreInto(store: SandboxStore, snapshot: Snapshot): void {
  for (const account of snapshot.accounts) store.accounts.set(account.id, { ...account, pending: [] });
  for (const attendee of snapshot.attendees) if (attendee) store.attendees.set(attendee.id, attendee);
  for (const chat of snapshot.chats) if (chat) store.chats.set(chat.id, chat);
  const messages = [...snapshot.messages].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  for (const m of messages) store.addMessage({ ...m, attachments: m.attachments.map((a) => ({ ...a, bytes: new Uint8Array(Buffer.from(a.bytes, "base64")) })) });
  for (const webhook of snapshot.webhooks) if (webhook) store.webhooks.set(webhook.id, webhook);
}

export interface PersistedStore {
  /** How many accounts the file held at start. */
  restoredAccounts: number;
  /** Saves soon (several changes in a row make one write). */
  changed(): void;
  /** Saves now and stops saving. */
  close(): void;
}

/** Loads the state from `file` (when it exists) and keeps it there. */
export function persistStore(store: SandboxStore, file: string, delayMs = 200): PersistedStore {
  if (existsSync(file)) {
    const snapshot = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
    if (snapshot.format !== FORMAT) throw new Error(`${file}: unknown sandbox state format ${String(snapshot.format)}; delete the file to start afresh`);
    restoreInto(store, snapshot);
  }
  const restoredAccounts = store.accounts.size;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const save = () => {
    timer = null;
    mkdirSync(dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(snapshotOf(store)), { mode: 0o600 });
    renameSync(temporary, file);
  };
  return {
    restoredAccounts,
    changed() {
      if (closed || timer) return;
      timer = setTimeout(save, delayMs);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      save();
    },
  };
}
