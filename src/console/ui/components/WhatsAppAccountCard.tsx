/**
 * `WhatsAppAccountCard`: one WhatsApp account: status badge, phone number,
 * name, connected since, last sync, the history import's progress (a bar of
 * the chats done out of the total once every chat is listed); Reconnect, and
 * Disconnect after a confirmation. Shows the `account` it is given: the
 * parent keeps it current (the console from the event stream).
 */
import { useState } from "react";
import { type ApiClient, answer } from "../api-client";
import { formatPhone, formatTime, STATUS_LABELS, STATUS_TONES } from "../format";
import { importShown } from "../import-progress";
import type { Account, ImportProgress } from "../model";

export interface WhatsAppAccountCardProps {
  client: ApiClient;
  account: Account;
  /** The history import's progress as the event stream last sent it (else the account's own fields are shown). */
  progress?: ImportProgress;
  /** The account as the service answered after an action (disconnect). */
  onChange?(account: Account): void;
  /** Asked to reconnect: open `WhatsAppAccountDialog` with this account's id. */
  onReconnect?(account: Account): void;
}

const RECONNECTABLE = new Set(["pending", "expired", "connecting", "credentials_required", "permissions_required", "error", "stopped", "failed"]);

export function WhatsAppAccountCard({ client, account, progress, onChange, onReconnect }: WhatsAppAccountCardProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = `account-${account.accountId}`;
  const gone = account.status === "disconnected" || account.status === "deleted";

  const disconnect = async () => {
    setBusy(true);
    setError(null);
    try {
      const { account: disconnected } = await answer(client.api.unipile.account.$delete({ query: { accountId: account.accountId } }));
      onChange?.(disconnected);
      setConfirming(false);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Could not disconnect; try again.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="card" aria-labelledby={titleId} data-account-id={account.accountId} data-status={account.status}>
      <header className="card-head">
        <h3 id={titleId}>{account.name ?? (account.phoneNumber ? formatPhone(account.phoneNumber) : "WhatsApp account")}</h3>
        <span className={`badge badge-${STATUS_TONES[account.status]}`} data-testid="status-badge">{STATUS_LABELS[account.status]}</span>
      </header>
      <dl className="facts">
        <dt>Phone</dt><dd>{formatPhone(account.phoneNumber)}</dd>
        <dt>Connected since</dt><dd>{formatTime(account.connectedAt)}</dd>
        <dt>Last sync</dt><dd>{formatTime(account.lastSync)}</dd>
      </dl>
      <ImportProgressBar account={account} progress={progress} />
      {account.statusReason && !account.connected && <p className="muted">{account.statusReason}</p>}
      {!gone && (
        <div className="actions">
          {RECONNECTABLE.has(account.status) && onReconnect && <button type="button" onClick={() => onReconnect(account)}>Reconnect</button>}
          {!confirming && <button type="button" className="danger" onClick={() => setConfirming(true)}>Disconnect</button>}
        </div>
      )}
      {confirming && (
        <div className="confirm" role="group" aria-label="Confirm disconnect">
          <p>Disconnect {formatPhone(account.phoneNumber)}? WhatsApp unlinks this device; its messages stay here.</p>
          <div className="actions">
            <button type="button" className="danger" disabled={busy} onClick={disconnect}>{busy ? "Disconnecting…" : "Yes, disconnect"}</button>
            <button type="button" autoFocus disabled={busy} onClick={() => setConfirming(false)}>Cancel</button>
          </div>
        </div>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </article>
  );
}

function ImportProgressBar({ account, progress }: { account: Account; progress?: ImportProgress }) {
  const shown = importShown(account, progress);
  if (!shown) return account.connected ? <p className="muted">History import starting…</p> : null;
  const { done, chatsDone, chatsTotal, messagesSeen, messagesTotal } = shown;
  const chats = chatsTotal === null ? `${chatsDone} chats` : `${chatsDone} of ${chatsTotal} chats`;
  const messages = messagesTotal === null ? `${messagesSeen} messages` : `${messagesSeen} of ${messagesTotal} messages`;
  const step = done ? "History imported" : shown.phase === "messages" ? "Importing history, reading messages" : "Importing history";
  const label = done ? "History imported" : "Importing history";
  return (
    <div className="progress" data-testid="import-progress" data-done={done ? "true" : "false"}>
      <label>
        {step}: {chats}, {messages}
        {chatsTotal === null ? <progress aria-label={label} /> : <progress aria-label={label} max={Math.max(chatsTotal, 1)} value={chatsTotal === 0 ? 1 : chatsDone} />}
        {!done && messagesTotal !== null && <progress aria-label="Messages imported" max={Math.max(messagesTotal, 1)} value={messagesSeen} />}
      </label>
    </div>
  );
}
