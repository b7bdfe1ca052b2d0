/**
 * `WhatsAppAccountDialog`: link a WhatsApp account (or give an existing one a
 * fresh QR code). Instructions, then "Generate QR Code", then the QR code with
 * a countdown to its expiry; a fresh code is offered before it expires (never
 * fetched on its own); the pairing-code alternative; the status watched with
 * `check-status?wait`; a success state; errors in words. In sandbox mode a
 * "Simulate the phone scan" button stands in for the phone.
 */
import { useEffect, useRef, useState } from "react";
import { type ApiClient, answer } from "../api-client";
import { formatCountdown, formatPhone } from "../format";
import type { Account, Connection } from "../model";
import { useNow } from "./hooks";

export interface WhatsAppAccountDialogProps {
  client: ApiClient;
  open: boolean;
  onClose(): void;
  /** Called once the account shows connected. */
  onConnected?(account: Account): void;
  /** Give this account a fresh QR code (reconnect) instead of linking a new one. */
  accountId?: string;
  /** Sandbox mode: show "Simulate the phone scan". */
  sandbox?: boolean;
}

type Step =
  | { name: "intro" }
  | { name: "pairing" }
  | { name: "qr"; connection: Connection; issuedAt: number }
  | { name: "code"; connection: Connection }
  | { name: "success"; account: Account };

/** A fresh code is offered once this little of a code's life is left. */
const OFFER_FRESH_MS = 60_000;

export function WhatsAppAccountDialog({ client, open, onClose, onConnected, accountId, sandbox = false }: WhatsAppAccountDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [step, setStep] = useState<Step>({ name: "intro" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setStep({ name: "intro" });
      setError(null);
      dialog.showModal();
      // Focus the step's first control, not the close button.
      requestAnimationFrame(() => dialog.querySelector<HTMLElement>(".dialog-body button, .dialog-body input")?.focus());
    } else if (!open && dialog.open) dialog.close();
  }, [open]);

  const attempt = step.name === "qr" || step.name === "code" ? step.connection : null;
  useStatusWatch(client, attempt?.accountId ?? null, attempt?.expiresAt ?? null, (account) => {
    setStep({ name: "success", account });
    onConnected?.(account);
  }, setError);

  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Something went wrong; try again.");
    } finally {
      setBusy(false);
    }
  };
  const generate = () =>
    act(async () => {
      const target = accountId ?? attempt?.accountId;
      const connection = target
        ? await answer(client.api.unipile.account.reconnect.$post({ query: { accountId: target } }))
        : await answer(client.api.unipile["connect-whatsapp"].$post({ json: {} }));
      setStep({ name: "qr", connection, issuedAt: Date.now() });
    });
  const pair = (phone: string) =>
    act(async () => {
      const connection = await answer(client.api.unipile["connect-whatsapp"].$post({ json: { pairingPhoneNumber: phone } }));
      setStep({ name: "code", connection });
    });
  const simulateScan = () =>
    act(async () => {
      if (!attempt) return;
      await answer(client.api.console.sandbox.scan.$post({ query: { accountId: attempt.accountId }, json: {} }));
    });

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="wa-dialog-title" onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <header className="dialog-head">
        <h2 id="wa-dialog-title">{accountId ? "Reconnect WhatsApp" : "Link a WhatsApp account"}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>×</button>
      </header>
      {step.name === "intro" && <Intro busy={busy} reconnect={!!accountId} onGenerate={generate} onPairing={() => setStep({ name: "pairing" })} />}
      {step.name === "pairing" && <PairingForm busy={busy} onSubmit={pair} onBack={() => setStep({ name: "intro" })} />}
      {step.name === "qr" && <QrStep step={step} busy={busy} sandbox={sandbox} onFresh={generate} onSimulate={simulateScan} />}
      {step.name === "code" && <CodeStep connection={step.connection} busy={busy} sandbox={sandbox} onSimulate={simulateScan} />}
      {step.name === "success" && (
        <section className="dialog-body success" aria-live="polite">
          <p className="success-mark" aria-hidden="true">✓</p>
          <p><strong>Connected.</strong> {step.account.name ?? "Your WhatsApp"}{step.account.phoneNumber ? ` (${formatPhone(step.account.phoneNumber)})` : ""} is linked; its chats are being imported.</p>
          <button type="button" className="primary" autoFocus onClick={onClose}>Done</button>
        </section>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </dialog>
  );
}

function Intro(props: { busy: boolean; reconnect: boolean; onGenerate(): void; onPairing(): void }) {
  return (
    <section className="dialog-body">
      <ol className="steps">
        <li>Open WhatsApp on your phone.</li>
        <li>Tap <strong>Settings → Linked devices → Link a device</strong>.</li>
        <li>Point the phone at the QR code that appears here.</li>
      </ol>
      <div className="actions">
        <button type="button" className="primary" autoFocus disabled={props.busy} onClick={props.onGenerate}>
          {props.busy ? "Generating…" : "Generate QR Code"}
        </button>
        {!props.reconnect && (
          <button type="button" className="link" disabled={props.busy} onClick={props.onPairing}>Link with a phone number instead</button>
        )}
      </div>
    </section>
  );
}

function PairingForm(props: { busy: boolean; onSubmit(phone: string): void; onBack(): void }) {
  const [phone, setPhone] = useState("");
  return (
    <form className="dialog-body" onSubmit={(e) => { e.preventDefault(); props.onSubmit(phone); }}>
      <label htmlFor="pairing-phone">Phone number of the WhatsApp account, with country code</label>
      <input id="pairing-phone" type="tel" inputMode="tel" autoComplete="tel" placeholder="+44 7700 900123" required autoFocus value={phone} onChange={(e) => setPhone(e.target.value)} />
      <div className="actions">
        <button type="submit" className="primary" disabled={props.busy || phone.trim() === ""}>{props.busy ? "Asking…" : "Get a pairing code"}</button>
        <button type="button" className="link" onClick={props.onBack}>Use a QR code</button>
      </div>
    </form>
  );
}

function QrStep(props: { step: Extract<Step, { name: "qr" }>; busy: boolean; sandbox: boolean; onFresh(): void; onSimulate(): void }) {
  const { connection, issuedAt } = props.step;
  const now = useNow(1000);
  const expiresAt = Date.parse(connection.expiresAt);
  const left = expiresAt - now;
  const expired = left <= 0;
  const offerFresh = expired || left < Math.min(OFFER_FRESH_MS, (expiresAt - issuedAt) / 3);
  return (
    <section className="dialog-body qr-step">
      {expired ? (
        <p className="qr-expired" role="status">This QR code expired. Generate a fresh one to keep linking.</p>
      ) : (
        <>
          <img className="qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(connection.qrSvg)}`} alt="QR code: scan it with WhatsApp on your phone" width={240} height={240} />
          <p className="countdown" aria-live="off">Expires in <time dateTime={connection.expiresAt}>{formatCountdown(left)}</time></p>
        </>
      )}
      <p className="hint">WhatsApp → Settings → Linked devices → Link a device. This page notices the scan by itself.</p>
      <div className="actions">
        {offerFresh && <button type="button" className={expired ? "primary" : ""} disabled={props.busy} onClick={props.onFresh}>{props.busy ? "Generating…" : "Generate a fresh QR code"}</button>}
        {props.sandbox && !expired && <button type="button" disabled={props.busy} onClick={props.onSimulate}>Simulate the phone scan</button>}
      </div>
    </section>
  );
}

function CodeStep(props: { connection: Connection; busy: boolean; sandbox: boolean; onSimulate(): void }) {
  return (
    <section className="dialog-body">
      <p>On the phone: WhatsApp → Settings → Linked devices → Link a device → <strong>Link with phone number instead</strong>, then type:</p>
      <p className="pairing-code" aria-label="Pairing code">{props.connection.pairingCode ?? "—"}</p>
      {props.sandbox && <div className="actions"><button type="button" disabled={props.busy} onClick={props.onSimulate}>Simulate the phone scan</button></div>}
    </section>
  );
}

/** Long-polls `check-status?wait` for the attempt's account until it is connected (or leaves the waiting statuses). */
function useStatusWatch(client: ApiClient, accountId: string | null, attemptKey: string | null, onConnected: (account: Account) => void, onProblem: (words: string) => void) {
  const latest = useRef({ onConnected, onProblem });
  latest.current = { onConnected, onProblem };
  useEffect(() => {
    if (!accountId) return;
    const controller = new AbortController();
    void (async () => {
      let failures = 0;
      while (!controller.signal.aborted) {
        try {
          const account = await answer(client.api.unipile["check-status"].$get({ query: { accountId, wait: "25" } }, { init: { signal: controller.signal } }));
          failures = 0;
          if (account.status === "connected") return latest.current.onConnected(account);
          if (account.status !== "pending" && account.status !== "connecting") return; // expired, failed…: the step shows what to do
        } catch (failure) {
          if (controller.signal.aborted) return;
          if (++failures >= 3) return latest.current.onProblem(`Lost track of the linking: ${failure instanceof Error ? failure.message : "network error"}. Close and reopen to check.`);
          await new Promise((r) => setTimeout(r, 1000 * failures));
        }
      }
    })();
    return () => controller.abort();
  }, [client, accountId, attemptKey]);
}
