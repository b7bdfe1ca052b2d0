/**
 * The inbox: an account's conversations (newest activity first, unread
 * badges, infinite scroll on the cursor) beside the open conversation's
 * thread. Everything is kept current by the event stream (the list is read
 * again when a history import ends: its chats come as one `conversations` event).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { accountsOf, type ApiClient, answer } from "../api-client";
import { formatPhone, formatTime } from "../format";
import { useLive } from "../live-context";
import type { Account, Conversation } from "../model";
import { Thread } from "./Thread";

const PAGE = "30";

export function InboxPage({ client, sandbox }: { client: ApiClient; sandbox: boolean }) {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [accountId, setAccountId] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    answer(client.api.unipile.account.$get({ query: {} })).then(
      (body) => {
        const list = accountsOf(body);
        setAccounts(list);
        setAccountId((current) => current ?? (list.find((a) => a.connected) ?? list[0])?.accountId ?? null);
      },
      (failure: Error) => setError(failure.message),
    );
  }, [client]);

  if (error) return <p role="alert" className="error page">{error}</p>;
  if (accounts === null) return <p className="muted page">Loading…</p>;
  if (accounts.length === 0 || !accountId) {
    return (
      <section className="page empty">
        <h1>Inbox</h1>
        <p><strong>No account to read from.</strong> Link a WhatsApp account on the Accounts tab; its chats appear here as they are imported.</p>
      </section>
    );
  }
  return (
    <section className={`inbox ${openId ? "has-thread" : ""}`} aria-label="Inbox">
      <div className="conversations-pane">
        <label className="account-pick">
          Account{" "}
          <select value={accountId} onChange={(e) => { setAccountId(e.target.value); setOpenId(null); }}>
            {accounts.map((a) => <option key={a.accountId} value={a.accountId}>{a.name ?? formatPhone(a.phoneNumber)} ({a.status})</option>)}
          </select>
        </label>
        <ConversationList key={accountId} client={client} accountId={accountId} openId={openId} onOpen={setOpenId} />
      </div>
      {openId ? (
        <Thread key={openId} client={client} conversationId={openId} accountId={accountId} sandbox={sandbox} onBack={() => setOpenId(null)} />
      ) : (
        <div className="thread-empty muted">Choose a conversation to read and answer it.</div>
      )}
    </section>
  );
}

function ConversationList({ client, accountId, openId, onOpen }: { client: ApiClient; accountId: string; openId: string | null; onOpen(id: string): void }) {
  const [items, setItems] = useState<Conversation[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sentinel = useRef<HTMLLIElement>(null);

  const load = useCallback(async (after: string | undefined) => {
    setLoading(true);
    try {
      const page = await answer(client.api.conversations.$get({ query: { accountId, limit: PAGE, ...(after ? { cursor: after } : {}) } }));
      setItems((old) => merge(after ? old : [], page.items));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Could not load conversations.");
    } finally {
      setLoading(false);
    }
  }, [client, accountId]);

  useEffect(() => {
    void load(undefined);
  }, [load]);
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !cursor || loading) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void load(cursor);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [cursor, loading, load]);
  useLive((event) => {
    // A history import ended: its chats were not pushed one by one, so the list is read again.
    if (event.event === "conversations") {
      if (event.data.accountId === null || event.data.accountId === accountId) void load(undefined);
      return;
    }
    const conversation = event.event === "conversation" || event.event === "message" ? event.data.conversation : null;
    if (conversation && conversation.accountId === accountId) setItems((old) => merge(old, [conversation]));
  });

  return (
    <>
      {error && <p role="alert" className="error">{error}</p>}
      {items.length === 0 && cursor !== undefined && !loading && (
        <p className="empty muted">No conversations yet. They appear as the history import runs and as contacts write.</p>
      )}
      <ul className="conversation-list" aria-label="Conversations">
        {items.map((c) => (
          <li key={c.id}>
            <button type="button" className="conversation" aria-current={c.id === openId ? "true" : undefined} onClick={() => onOpen(c.id)} data-conversation-id={c.id}>
              <span className="conversation-name">{nameOf(c)}</span>
              <span className="conversation-time">{formatTime(c.lastMessageAt ?? c.lastActivityAt)}</span>
              <span className="conversation-preview">{c.lastMessagePreview ?? "No messages yet"}</span>
              {c.unreadCount > 0 && <span className="unread" aria-label={`${c.unreadCount} unread`}>{c.unreadCount}</span>}
            </button>
          </li>
        ))}
        {cursor && <li ref={sentinel} className="muted sentinel">{loading ? "Loading more…" : "More below"}</li>}
      </ul>
    </>
  );
}

export function nameOf(c: Conversation): string {
  return c.name ?? (c.attendees.map((a) => a.name ?? formatPhone(a.phone)).join(", ") || "Conversation");
}

/** Newer copies replace older ones; newest activity first. */
function merge(old: Conversation[], fresh: Conversation[]): Conversation[] {
  const byId = new Map(old.map((c) => [c.id, c]));
  for (const c of fresh) byId.set(c.id, c);
  return [...byId.values()].sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || b.id.localeCompare(a.id));
}
