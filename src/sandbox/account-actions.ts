/**
 * @module sandbox/account-actions
 * An account's life: created waiting for its QR to be scanned (CONNECTING),
 * scanned (CREATION_SUCCESS, OK, then SYNC_SUCCESS once the history is in),
 * disconnected and reconnected with a new QR (RECONNECTED, OK), any status
 * forced by the controls, deleted (DELETED). `sources[].status` follows it.
 */
import { errorBody, SandboxApiError } from "./errors";
import { pairingCode, qrPayload, unipileId } from "./ids";
import type { Notifier } from "./notifier";
import type { SandboxAccount, SandboxStore, SourceStatus } from "./store";
import type { AccountStatusMessage } from "./webhook-bodies";

export interface ScanInput {
  phone?: string;
  name?: string;
  /** Seeds history (no webhooks) before SYNC_SUCCESS. */
  seedHistory?: (account: SandboxAccount) => void;
}

export interface AccountActions {
  create(input: { pairingPhone?: string; hostedNotify?: { url: string; name: string } }): SandboxAccount;
  reconnect(account: SandboxAccount, hostedNotify?: { url: string; name: string }): SandboxAccount;
  scan(account: SandboxAccount, input: ScanInput): void;
  setStatus(account: SandboxAccount, message: AccountStatusMessage): void;
  remove(account: SandboxAccount): void;
}

/** `sources[].status` after an AccountStatus message; undefined = unchanged. */
const SOURCE_STATUS: Partial<Record<AccountStatusMessage, SourceStatus>> = {
  OK: "OK",
  ERROR: "ERROR",
  STOPPED: "STOPPED",
  CREDENTIALS: "CREDENTIALS",
  PERMISSIONS: "PERMISSIONS",
  CONNECTING: "CONNECTING",
  CREATION_SUCCESS: "OK",
  RECONNECTED: "OK",
  CREATION_FAIL: "ERROR",
};

export function createAccountActions(
  store: SandboxStore,
  notifier: Notifier,
  now: () => number,
): AccountActions {
  const hosted = new Map<string, { url: string; name: string }>();
  let counter = 0;

  const becomeOk = (account: SandboxAccount) => {
    account.status = "OK";
    account.reconnecting = false;
    // Messages that arrived while disconnected are delivered after the reconnection.
    for (const deliver of account.pending.splice(0)) deliver();
  };

  const setStatus: AccountActions["setStatus"] = (account, message) => {
    if (message === "DELETED") return remove(account);
    const status = SOURCE_STATUS[message];
    if (status === "OK") becomeOk(account);
    else if (status) account.status = status;
    notifier.accountStatus(account.id, message);
  };

  const remove: AccountActions["remove"] = (account) => {
    store.deleteAccount(account.id);
    notifier.accountStatus(account.id, "DELETED");
  };

  return {
    create({ pairingPhone, hostedNotify }) {
      counter += 1;
      const account: SandboxAccount = {
        id: unipileId(),
        name: `WhatsApp ${counter}`,
        createdAt: new Date(now()).toISOString(),
        phone: pairingPhone ?? null,
        status: "CONNECTING",
        reconnecting: false,
        qrcode: qrPayload(),
        ...(pairingPhone ? { pairingCode: pairingCode() } : {}),
        pending: [],
      };
      store.accounts.set(account.id, account);
      if (hostedNotify) hosted.set(account.id, hostedNotify);
      return account;
    },
    reconnect(account, hostedNotify) {
      if (hostedNotify) hosted.set(account.id, hostedNotify);
      else hosted.delete(account.id);
      account.qrcode = qrPayload();
      account.reconnecting = true;
      return account;
    },
    scan(account, input) {
      if (account.reconnecting) {
        if (input.phone && account.phone && input.phone !== account.phone) {
          throw new SandboxApiError(errorBody(401, "errors/wrong_account", "The phone that scanned is another account."));
        }
        setStatus(account, "RECONNECTED");
        notifier.accountStatus(account.id, "OK");
        const notify = hosted.get(account.id);
        if (notify) notifier.hostedAuth(notify.url, "RECONNECTED", account.id, notify.name);
        return;
      }
      if (account.status !== "CONNECTING") {
        throw new SandboxApiError(errorBody(400, "errors/invalid_action", "This account has no QR code waiting to be scanned."));
      }
      account.phone = input.phone ?? account.phone ?? randomPhone();
      account.name = input.name ?? `+${account.phone}`;
      store.selfAttendee(account).phone = account.phone;
      setStatus(account, "CREATION_SUCCESS");
      notifier.accountStatus(account.id, "OK");
      input.seedHistory?.(account);
      notifier.accountStatus(account.id, "SYNC_SUCCESS");
      const notify = hosted.get(account.id);
      if (notify) notifier.hostedAuth(notify.url, "CREATION_SUCCESS", account.id, notify.name);
    },
    setStatus,
    remove,
  };
}

const randomPhone = (): string => `336${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
