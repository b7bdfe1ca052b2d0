/**
 * One conversation: its messages (older pages on demand), live updates, the
 * composer (text, attachments, reply-to; an `Idempotency-Key` per send; the
 * pending bubble shown at once and updated in place), "Mark read", and in
 * sandbox mode "Simulate a contact writing".
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { type ApiClient, answer, sendForm } from "../api-client";
import { newIdempotencyKey } from "../format";
import { useLive } from "../live-context";
import type { Conversation, Message } from "../model";
import { Bubble, type ShownMessage } from "./Bubble";
import { nameOf } from "./InboxPage";

interface Props {
  client: ApiClient;
  conversationId: string;
  accountId: string;
  sandbox: boolean;
  onBack(): void;
}

export function Thread({ client, conversationId, accountId, sandbox, onBack }: Props) {
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<ShownMessage[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [replyTo, setReplyTo] = useState<ShownMessage | null>(null);
  const end = useRef<HTMLDivElement>(null);

  const upsert = useCallback((incoming: Message[], localKey?: string) => {
    setMessages((old) => mergeMessages(old, incoming, localKey));
  }, []);

  const loadPage = useCallback(async (after?: string) => {
    const page = await answer(client.api.conversations[":id"].messages.$get({ param: { id: conversationId }, query: { limit: "50", ...(after ? { cursor: after } : {}) } }));
    upsert(page.items);
    setCursor(page.nextCursor);
  }, [client, conversationId, upsert]);

  useEffect(() => {
    void (async () => {
      setConversation(await answer(client.api.conversations[":id"].$get({ param: { id: conversationId } })));
      await loadPage();
    })().catch((failure: Error) => setError(failure.message));
  }, [client, conversationId, loadPage]);
  useLive((event) => {
    if (event.event !== "message" && event.event !== "conversation") return;
    if (event.data.conversation.id !== conversationId) return;
    setConversation(event.data.conversation);
    if (event.event === "message") upsert([event.data.message]);
  });
  useEffect(() => {
    // In braces: Chromium's scrollIntoView may return a promise, which is no effect cleanup.
    void end.current?.scrollIntoView({ block: "end" });
  }, [messages.length]);

  const send = async (text: string, files: File[], key: string, quote: ShownMessage | null) => {
    const pending: ShownMessage = {
      id: key, localKey: key, localFiles: files, conversationId, unipileMessageId: null, providerMessageId: null, sendId: null, text, sentAt: new Date().toISOString(), isSender: true, status: "pending",
      sender: { attendeeId: null, providerId: null, name: null, phone: null },
      quoted: quote ? { messageId: quote.id, unipileMessageId: quote.unipileMessageId, providerMessageId: quote.providerMessageId, senderProviderId: quote.sender.providerId, text: quote.text } : null,
      attachments: files.map((f) => ({ id: null, type: f.type.startsWith("image/") ? "img" : "file", fileName: f.name, mimetype: f.type, size: f.size, unavailable: false })),
      reactions: [], failure: null, edited: false, editedAt: null, deleted: false, deletedAt: null, seen: true, deliveredAt: null, readAt: null,
    };
    setMessages((old) => [...old.filter((m) => m.localKey !== key), pending]);
    try {
      const fields = { content: text, accountId, chatId: conversationId, ...(quote ? { quoteId: quote.id } : {}) };
      const sent = await answer(files.length
        ? sendForm(client, { ...fields, attachments: files }, key)
        : client.api.unipile.message.$post({ json: fields, header: { "idempotency-key": key } }));
      if (sent.message) upsert([sent.message], key);
    } catch (failure) {
      const reason = failure instanceof Error ? failure.message : "network error";
      setMessages((old) => old.map((m) => (m.localKey === key && m.status === "pending" ? { ...m, status: "failed", failure: { reason, status: null, type: null, title: null, detail: null }, retry: () => void send(text, files, key, quote) } : m)));
    }
  };

  const markRead = async () => {
    await answer(client.api.conversations[":id"].read.$post({ param: { id: conversationId } })).then(
      (read) => setConversation(read.conversation),
      (failure: Error) => setError(failure.message),
    );
  };
  const simulate = async () => {
    await answer(client.api.console.sandbox.incoming.$post({ query: { conversationId }, json: { text: `Hi! It is ${new Date().toLocaleTimeString()} here.` } })).catch(
      (failure: Error) => setError(failure.message),
    );
  };

  return (
    <section className="thread" aria-label={conversation ? `Conversation with ${nameOf(conversation)}` : "Conversation"}>
      <header className="thread-head">
        <button type="button" className="icon-button back" aria-label="Back to conversations" onClick={onBack}>←</button>
        <h2>{conversation ? nameOf(conversation) : "…"}</h2>
        <div className="actions">
          <button type="button" disabled={!conversation || conversation.unreadCount === 0} onClick={markRead}>Mark read</button>
          {sandbox && <button type="button" onClick={simulate}>Simulate a contact writing</button>}
        </div>
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      <div className="messages" role="log" aria-live="polite" aria-label="Messages">
        {cursor && <button type="button" className="link older" onClick={() => void loadPage(cursor).catch((failure: Error) => setError(failure.message))}>Show older messages</button>}
        {messages.length === 0 && <p className="muted empty">No messages yet. Write the first one below.</p>}
        {messages.map((m) => <Bubble key={m.localKey ?? m.id} client={client} message={m} onReply={() => setReplyTo(m)} />)}
        <div ref={end} />
      </div>
      <Composer replyTo={replyTo} onClearReply={() => setReplyTo(null)} onSend={(text, files) => { const quote = replyTo; setReplyTo(null); void send(text, files, newIdempotencyKey(), quote); }} />
    </section>
  );
}

function Composer({ replyTo, onClearReply, onSend }: { replyTo: ShownMessage | null; onClearReply(): void; onSend(text: string, files: File[]): void }) {
  const [text, setText] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const submit = () => {
    if (text.trim() === "" && files.length === 0) return;
    onSend(text, files);
    setText("");
    setFiles([]);
    if (input.current) input.current.value = "";
  };
  return (
    <form className="composer" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      {replyTo && (
        <p className="replying">Replying to “{(replyTo.text ?? "an attachment").slice(0, 80)}” <button type="button" className="link" onClick={onClearReply}>Cancel reply</button></p>
      )}
      {files.length > 0 && <p className="muted">{files.map((f) => f.name).join(", ")}</p>}
      <label htmlFor="composer-text" className="visually-hidden">Message</label>
      <textarea
        id="composer-text" rows={2} placeholder="Write a message (Enter sends, Shift+Enter for a new line)" value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); } }}
      />
      <label className="attach">
        <span className="visually-hidden">Attach files</span>📎
        <input ref={input} type="file" multiple onChange={(e) => setFiles([...(e.target.files ?? [])])} />
      </label>
      <button type="submit" className="primary" disabled={text.trim() === "" && files.length === 0}>Send</button>
    </form>
  );
}

/**
 * Puts messages in the thread: a known id is updated where it is; a send's
 * answer (`localKey`) lands on its pending bubble; a message of ours that the
 * stream brings before the answer lands on the unanswered pending bubble with
 * its text. So a pending bubble is updated in place, never doubled.
 */
const RANK: Record<Message["status"], number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 0, received: 0 };

export function mergeMessages(old: ShownMessage[], incoming: Message[], localKey?: string): ShownMessage[] {
  let next = [...old];
  for (const m of incoming) {
    const byId = next.findIndex((o) => o.id === m.id);
    const byKey = localKey === undefined ? -1 : next.findIndex((o) => o.localKey === localKey);
    const unanswered = m.isSender ? next.findIndex((o) => o.localKey !== undefined && o.id === o.localKey && (o.text ?? "") === (m.text ?? "")) : -1;
    const at = byKey >= 0 ? byKey : byId >= 0 ? byId : unanswered;
    if (at < 0) {
      next.push(m);
      continue;
    }
    const kept = next[at];
    // A send's answer may come after the stream said delivered or read: a status never goes back.
    const status = kept && kept.id === m.id && RANK[kept.status] > RANK[m.status] ? kept.status : m.status;
    next[at] = { ...m, status, localKey: kept?.localKey, localFiles: kept?.localFiles };
    if (byId >= 0 && byId !== at) next = next.filter((_, i) => i !== byId);
  }
  return next.sort((a, b) => a.sentAt.localeCompare(b.sentAt));
}
