/**
 * The console: signs in (development: by itself; otherwise the app's session
 * cookie, or a token pasted and kept in session storage only), opens the
 * event stream, and shows the accounts, the inbox and (auditors) the audit.
 */
import { useEffect, useMemo, useState } from "react";
import { type ApiClient, answer, createApiClient, Problem } from "./api-client";
import { createLiveHub, LiveContext } from "./live-context";
import { type LiveState, openLiveStream } from "./live";
import type { Me } from "./model";
import { AccountsPage } from "./pages/AccountsPage";
import { AuditPage } from "./pages/AuditPage";
import { InboxPage } from "./pages/InboxPage";
import { SignIn } from "./pages/SignIn";

const TOKEN_KEY = "commsync-console-token";
type Tab = "accounts" | "inbox" | "audit";
type Session = { client: ApiClient; me: Me; sandbox: boolean; how: "development" | "cookie" | "token" };

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [sandboxMode, setSandboxMode] = useState(false);

  const signIn = async (token: string | null, how: Session["how"], sandbox: boolean): Promise<string | null> => {
    const client = createApiClient(location.origin, token);
    let me: Me;
    try {
      me = await answer(client.api.me.$get());
    } catch (failure) {
      if (failure instanceof Problem && failure.status === 401) return "That token is not accepted (expired, or signed with another key).";
      return failure instanceof Error ? failure.message : "The service cannot be reached.";
    }
    if (token && how === "token") sessionStorage.setItem(TOKEN_KEY, token);
    setProblem(null);
    setSession({ client, me, sandbox, how });
    return null;
  };

  useEffect(() => {
    void (async () => {
      const anonymous = createApiClient(location.origin, null);
      const info = await answer(anonymous.console.session.$get()).catch(() => null);
      const sandbox = info?.sandbox ?? false;
      setSandboxMode(sandbox);
      const stored = sessionStorage.getItem(TOKEN_KEY);
      const tries: [string | null, Session["how"]][] = [];
      // A token pasted in this tab comes first (e.g. an auditor's), then development's, then the app's cookie.
      if (stored) tries.push([stored, "token"]);
      if (info?.mode === "development" && info.token) tries.push([info.token, "development"]);
      tries.push([null, "cookie"]);
      for (const [token, how] of tries) {
        const failed = await signIn(token, how, sandbox);
        if (!failed) return setChecking(false);
        if (how === "token") sessionStorage.removeItem(TOKEN_KEY);
      }
      setChecking(false);
    })().catch(() => {
      setProblem("The service cannot be reached.");
      setChecking(false);
    });
  }, []);

  if (checking) return <p className="muted boot">Signing in…</p>;
  if (!session) {
    return <SignIn problem={problem} onToken={(token) => signIn(token, "token", sandboxMode)} />;
  }
  return (
    <Console
      session={session}
      onSignOut={() => {
        sessionStorage.removeItem(TOKEN_KEY);
        setSession(null);
      }}
    />
  );
}

function Console({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const [tab, setTab] = useState<Tab>("accounts");
  const [live, setLive] = useState<LiveState>("connecting");
  const hub = useMemo(() => createLiveHub(), []);
  useEffect(() => {
    const stream = openLiveStream(session.client, hub.publish, setLive);
    return () => stream.close();
  }, [session.client, hub]);
  const auditor = session.me.roles.includes("auditor");
  const tabs: [Tab, string][] = [["accounts", "Accounts"], ["inbox", "Inbox"], ...(auditor ? [["audit", "Audit"] as [Tab, string]] : [])];

  return (
    <LiveContext.Provider value={hub}>
      <header className="top">
        <span className="brand">CommSync · WhatsApp</span>
        <nav aria-label="Sections">
          {tabs.map(([id, label]) => (
            <button key={id} type="button" className="tab" aria-current={tab === id ? "page" : undefined} onClick={() => setTab(id)}>{label}</button>
          ))}
        </nav>
        <span className={`live live-${live}`} role="status" title="Live updates">{live === "live" ? "● Live" : live === "connecting" ? "○ Connecting" : "○ Reconnecting"}</span>
        <span className="who">{session.me.userId}{session.how === "development" ? " (development)" : ""}</span>
        <button type="button" className="link" onClick={onSignOut}>{session.how === "token" ? "Sign out" : "Use a token"}</button>
      </header>
      <main>
        {tab === "accounts" && <AccountsPage client={session.client} sandbox={session.sandbox} />}
        {tab === "inbox" && <InboxPage client={session.client} sandbox={session.sandbox} />}
        {tab === "audit" && auditor && <AuditPage client={session.client} />}
      </main>
    </LiveContext.Provider>
  );
}
