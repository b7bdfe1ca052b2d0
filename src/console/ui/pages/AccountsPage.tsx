/**
 * The accounts page: one `WhatsAppAccountCard` per account, kept current by
 * the event stream (with each history import's progress), and the `WhatsAppAccountDialog` to link or reconnect.
 */
import { useCallback, useEffect, useState } from "react";
import { accountsOf, type ApiClient, answer } from "../api-client";
import { WhatsAppAccountCard } from "../components/WhatsAppAccountCard";
import { WhatsAppAccountDialog } from "../components/WhatsAppAccountDialog";
import { useLive } from "../live-context";
import type { Account, ImportProgress } from "../model";

export function AccountsPage({ client, sandbox }: { client: ApiClient; sandbox: boolean }) {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<{ accountId?: string } | null>(null);
  /** Each account's history import progress, as the stream last sent it. */
  const [progress, setProgress] = useState<Record<string, ImportProgress>>({});

  const upsert = useCallback((account: Account) => {
    setAccounts((list) => {
      const rest = (list ?? []).filter((a) => a.accountId !== account.accountId);
      return [account, ...rest].sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
    });
  }, []);

  useEffect(() => {
    answer(client.api.unipile.account.$get({ query: {} })).then(
      (body) => setAccounts(accountsOf(body)),
      (failure: Error) => setError(failure.message),
    );
  }, [client]);
  useLive((event) => {
    if (event.event !== "account") return;
    upsert(event.data.account);
    const next = event.data.progress;
    if (next) setProgress((old) => ({ ...old, [event.data.account.accountId]: next }));
  });

  const visible = accounts ?? [];
  return (
    <section aria-labelledby="accounts-title" className="page">
      <header className="page-head">
        <h1 id="accounts-title">WhatsApp accounts</h1>
        <button type="button" className="primary" onClick={() => setDialog({})}>Link a WhatsApp account</button>
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      {accounts === null && !error && <p className="muted">Loading accounts…</p>}
      {accounts !== null && visible.length === 0 && (
        <div className="empty">
          <p><strong>No WhatsApp account yet.</strong></p>
          <p>Link one: press “Link a WhatsApp account”, then scan the QR code with your phone{sandbox ? " (or simulate the scan: this service runs on the Unipile sandbox)" : ""}.</p>
        </div>
      )}
      <div className="cards">
        {visible.map((account) => (
          <WhatsAppAccountCard key={account.accountId} client={client} account={account} progress={progress[account.accountId]} onChange={upsert} onReconnect={(a) => setDialog({ accountId: a.accountId })} />
        ))}
      </div>
      <WhatsAppAccountDialog
        client={client}
        open={dialog !== null}
        accountId={dialog?.accountId}
        sandbox={sandbox}
        onClose={() => setDialog(null)}
        onConnected={upsert}
      />
    </section>
  );
}
