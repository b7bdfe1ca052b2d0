/**
 * One message bubble: sender, time, text, attachments (images inline, files
 * downloadable), the quoted message, reactions, edited/deleted marks and, on
 * the account's own messages, the status tick.
 */
import { useEffect, useState } from "react";
import type { ApiClient } from "../api-client";
import { formatPhone, formatTime, TICKS } from "../format";
import type { Attachment, Message } from "../model";

export type ShownMessage = Message & { localKey?: string; localFiles?: File[]; retry?: () => void };

export function Bubble({ client, message, onReply }: { client: ApiClient; message: ShownMessage; onReply(): void }) {
  const tick = TICKS[message.status];
  return (
    <article className={`bubble ${message.isSender ? "mine" : "theirs"}`} data-status={message.status} data-message-id={message.id} aria-label={`${message.isSender ? "You" : senderOf(message)}, ${formatTime(message.sentAt)}`}>
      {!message.isSender && <p className="sender">{senderOf(message)}</p>}
      {message.quoted && <blockquote className="quoted">{message.quoted.text ?? "A message"}</blockquote>}
      {message.deleted ? (
        <p className="deleted">This message was deleted.</p>
      ) : (
        <>
          {message.text && <p className="text">{message.text}</p>}
          {message.attachments.map((a, i) => (
            <AttachmentView key={a.id ?? i} client={client} messageId={message.id} attachment={a} local={message.localFiles?.[i]} />
          ))}
        </>
      )}
      {message.reactions.length > 0 && <p className="reactions" aria-label="Reactions">{message.reactions.map((r) => r.value).join(" ")}</p>}
      <footer className="meta">
        {message.edited && !message.deleted && <span>edited · </span>}
        <time dateTime={message.sentAt}>{formatTime(message.sentAt)}</time>
        {message.isSender && <span className={`tick tick-${message.status}`} data-testid="tick" title={tick.label} aria-label={`Status: ${tick.label}`}> {tick.mark}</span>}
        {!message.deleted && <button type="button" className="link reply" onClick={onReply} aria-label="Reply to this message">Reply</button>}
      </footer>
      {message.status === "failed" && (
        <p className="error">Not sent: {message.failure?.detail ?? message.failure?.reason ?? "unknown reason"} {message.retry && <button type="button" className="link" onClick={message.retry}>Retry</button>}</p>
      )}
    </article>
  );
}

function senderOf(m: Message): string {
  return m.sender.name ?? formatPhone(m.sender.phone);
}

function AttachmentView({ client, messageId, attachment, local }: { client: ApiClient; messageId: string; attachment: Attachment; local?: File }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  const image = (attachment.mimetype ?? "").startsWith("image/") || attachment.type === "img";
  const name = attachment.fileName ?? "attachment";

  const fetchBlob = async (): Promise<string | null> => {
    if (local) return URL.createObjectURL(local);
    if (!attachment.id || attachment.unavailable) return null;
    const response = await client.api.messages[":id"].attachments[":attachmentId"].$get({ param: { id: messageId, attachmentId: attachment.id } }).catch(() => null);
    if (!response?.ok) return null;
    return URL.createObjectURL(await response.blob());
  };
  useEffect(() => {
    if (!image) return;
    let made: string | null = null;
    void fetchBlob().then((u) => { made = u; if (u) setUrl(u); else setFailed(true); });
    return () => { if (made) URL.revokeObjectURL(made); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [messageId, attachment.id, local]);

  if (image && url) return <img className="attachment-image" src={url} alt={name} />;
  if (image && !failed) return <p className="muted">Loading image {name}…</p>;
  const download = async () => {
    const u = await fetchBlob();
    if (!u) return setFailed(true);
    const link = document.createElement("a");
    link.href = u;
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(u), 10_000);
  };
  return (
    <p className="attachment-file">
      📄 {attachment.unavailable || failed ? `${name} (not available)` : <button type="button" className="link" onClick={download}>Download {name}</button>}
    </p>
  );
}
