/**
 * The auditor view: an account's or a conversation's event timeline (type,
 * source, time, log position, the raw payload on demand) and "state at this
 * point", replayed by the point-in-time routes.
 */
import { useState } from "react";
import { type ApiClient, answer } from "../api-client";
import { formatTime } from "../format";
import type { AuditEvent } from "../model";

type Kind = "account" | "conversation";

export function AuditPage({ client }: { client: ApiClient }) {
  const [kind, setKind] = useState<Kind>("account");
  const [id, setId] = useState("");
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [subject, setSubject] = useState<{ kind: Kind; id: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    setError(null);
    try {
      const target = id.trim();
      let query: Record<string, string> = { accountId: target, limit: "100" };
      if (kind === "conversation") {
        // The conversation's own stream is named by Unipile's chat id: the current state says it.
        const state = await answer(client.api.audit.conversations[":id"].state.$get({ param: { id: target }, query: {} }));
        const chatId = state.conversation.unipileChatId ?? target;
        query = { streamId: `unipile-chat:${chatId}`, limit: "100" };
      }
      setEvents((await answer(client.api.audit.events.$get({ query }))).items);
      setSubject({ kind, id: target });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : "Could not read the log.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="page audit" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit</h1>
      <form onSubmit={(e) => { e.preventDefault(); void load(); }}>
        <label>
          Timeline of
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            <option value="account">an account</option>
            <option value="conversation">a conversation</option>
          </select>
        </label>
        <label>
          {kind === "account" ? "Account id (ours or Unipile's)" : "Conversation id (ours or Unipile's chat id)"}
          <input value={id} required onChange={(e) => setId(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || id.trim() === ""}>{busy ? "Reading…" : "Show timeline"}</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
      {events && events.length === 0 && <p className="empty">No events for this {subject?.kind}. Check the id (an account's id is on its card).</p>}
      {events && events.length > 0 && subject && (
        <table>
          <caption className="visually-hidden">Events, oldest first</caption>
          <thead><tr><th>Position</th><th>Type</th><th>Source</th><th>Recorded</th><th>Details</th></tr></thead>
          <tbody>{events.map((event) => <EventRow key={event.globalPosition} client={client} event={event} subject={subject} />)}</tbody>
        </table>
      )}
    </section>
  );
}

function EventRow({ client, event, subject }: { client: ApiClient; event: AuditEvent; subject: { kind: Kind; id: string } }) {
  const [payload, setPayload] = useState(false);
  const [state, setState] = useState<string | null>(null);
  const showState = async () => {
    const query = { at: String(event.globalPosition) };
    const call = subject.kind === "account"
      ? answer(client.api.audit.accounts[":id"].state.$get({ param: { id: subject.id }, query }))
      : answer(client.api.audit.conversations[":id"].state.$get({ param: { id: subject.id }, query }));
    setState(await call.then((state) => JSON.stringify(state, null, 2), (failure: Error) => failure.message));
  };
  const source = typeof event.metadata.source === "string" ? event.metadata.source : "—";
  return (
    <tr data-position={event.globalPosition}>
      <td>{event.globalPosition}</td>
      <td>{event.type}</td>
      <td>{source}</td>
      <td>{formatTime(event.recordedAt ?? null)}</td>
      <td>
        <button type="button" className="link" aria-expanded={payload} onClick={() => setPayload(!payload)}>{payload ? "Hide payload" : "Payload"}</button>
        <button type="button" className="link" onClick={() => void showState()}>State at this point</button>
        {payload && <pre aria-label="Payload">{JSON.stringify({ data: event.data, metadata: event.metadata }, null, 2)}</pre>}
        {state && <pre aria-label="State at this point">{state}</pre>}
      </td>
    </tr>
  );
}
