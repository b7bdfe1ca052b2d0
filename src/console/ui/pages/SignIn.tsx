/**
 * Sign-in with a pasted token (kept in session storage only, never in a URL).
 */
import { useState } from "react";

export function SignIn({ problem, onToken }: { problem: string | null; onToken(token: string): Promise<string | null> }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(problem);
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin">
      <h1>Sign in to the CommSync WhatsApp console</h1>
      <p>Sign in to CommSync in this browser, or paste an API token (a JWT for this service). The token stays in this tab only.</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(await onToken(token.trim()));
          setBusy(false);
        }}
      >
        <label htmlFor="token">API token</label>
        <textarea id="token" rows={4} autoFocus required spellCheck={false} autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        <button type="submit" className="primary" disabled={busy || token.trim() === ""}>{busy ? "Checking…" : "Sign in"}</button>
      </form>
      {error && <p role="alert" className="error">{error}</p>}
    </main>
  );
}
