/**
 * Steady traffic for the outage test: webhook deliveries (each a new
 * message) and authenticated reads, from a few concurrent workers, every
 * answer recorded with its status, error code, Retry-After and duration. A
 * request with no answer within `timeoutMs` is recorded as status 0.
 */
export interface Outcome {
  kind: "webhook" | "read";
  /** The message id a webhook delivered. */
  messageId?: string;
  status: number;
  /** The error body's code, or "bad-shape" when the body is not `{error, code, requestId}`. */
  code?: string;
  retryAfter?: string | null;
  startedAt: number;
  ms: number;
}

export interface LoadOptions {
  base: string;
  webhookSecret: string;
  token: string;
  /** A message_received webhook body to vary. */
  template: Record<string, unknown>;
  webhookWorkers: number;
  readWorkers: number;
  timeoutMs: number;
}

export function startLoad(options: LoadOptions) {
  const outcomes: Outcome[] = [];
  let running = true;
  let sequence = 0;

  async function record(kind: Outcome["kind"], request: () => Promise<Response>, messageId?: string) {
    const startedAt = Date.now();
    let outcome: Outcome;
    try {
      const response = await request();
      const text = await response.text();
      let code: string | undefined;
      if (response.status >= 400) code = errorCode(text);
      outcome = { kind, messageId, status: response.status, code, retryAfter: response.headers.get("retry-after"), startedAt, ms: Date.now() - startedAt };
    } catch (error) {
      outcome = { kind, messageId, status: 0, code: String(error), startedAt, ms: Date.now() - startedAt };
    }
    outcomes.push(outcome);
    // A refused client waits a little before the next try (a real one would honour Retry-After).
    if (outcome.status !== 200) await Bun.sleep(50);
  }

  async function webhooks(worker: number) {
    while (running) {
      const messageId = `outage-${worker}-${++sequence}-${crypto.randomUUID().slice(0, 8)}`;
      const body = JSON.stringify({ ...options.template, message_id: messageId, provider_message_id: messageId, timestamp: new Date().toISOString() });
      await record(
        "webhook",
        () =>
          fetch(`${options.base}/api/unipile/webhook`, {
            method: "POST",
            headers: { "content-type": "application/json", "unipile-auth": options.webhookSecret },
            body,
            signal: AbortSignal.timeout(options.timeoutMs),
          }),
        messageId,
      );
    }
  }

  async function reads() {
    while (running) {
      await record("read", () =>
        fetch(`${options.base}/api/conversations`, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(options.timeoutMs) }),
      );
      await Bun.sleep(20);
    }
  }

  const workers = [
    ...Array.from({ length: options.webhookWorkers }, (_, i) => webhooks(i)),
    ...Array.from({ length: options.readWorkers }, () => reads()),
  ];
  return {
    outcomes,
    /** Answers that started at or after `since` and match `where`. */
    count(since: number, where: (o: Outcome) => boolean) {
      return outcomes.filter((o) => o.startedAt >= since && where(o)).length;
    },
    async stop(): Promise<Outcome[]> {
      running = false;
      await Promise.all(workers);
      return outcomes;
    },
  };
}

function errorCode(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const keys = Object.keys(body).sort().join(",");
    if (keys !== "code,error,requestId" || typeof body.error !== "string" || typeof body.requestId !== "string") return "bad-shape";
    return String(body.code);
  } catch {
    return "bad-shape";
  }
}
