/**
 * @module sandbox/app
 * `createSandbox(options)`: the Unipile v1 emulator as a Hono app, its state
 * in memory. `/api/v1/*` is the emulated API; `/sandbox/*` are the controls.
 * Both require the `X-API-KEY` header (wrong or missing → Unipile's 401
 * `errors/missing_credentials`). Every answer is JSON with Unipile's error
 * shape on failure, except attachment downloads (raw bytes).
 */
import { Hono } from "hono";
import { createAccountActions } from "./account-actions";
import type { SandboxContext } from "./context";
import { createDeliverer, type DeliveryOptions } from "./deliveries";
import { errorBody, missingCredentials, SandboxApiError } from "./errors";
import { createFaults } from "./faults";
import { createMessageActions } from "./message-actions";
import { createNotifier } from "./notifier";
import { accountRoutes } from "./routes/accounts";
import { chatRoutes } from "./routes/chats";
import { controlRoutes } from "./routes/controls";
import { messageRoutes } from "./routes/messages";
import { webhookRoutes } from "./routes/webhooks";
import { createRequestLog } from "./request-log";
import { createStore } from "./store";

export interface SandboxOptions {
  /** The API key clients must send as `X-API-KEY`. */
  accessToken: string;
  /** Webhook retry delays and receiver timeout. */
  deliveries?: DeliveryOptions;
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** Randomness for fault rates. @default Math.random */
  random?: () => number;
}

export interface Sandbox {
  app: Hono;
  /** The state and machinery behind the app, for tests and scripts. */
  context: SandboxContext;
  /** Stops pending webhook deliveries and retries. */
  close(): void;
}

/** Builds a sandbox: no I/O until requests arrive. */
export function createSandbox(options: SandboxOptions): Sandbox {
  const now = options.now ?? Date.now;
  const store = createStore(now);
  const faults = createFaults(options.random);
  const deliverer = createDeliverer(faults, options.deliveries);
  const notifier = createNotifier(store, deliverer);
  const requests = createRequestLog();
  const context: SandboxContext = {
    store,
    faults,
    deliverer,
    notifier,
    now,
    accounts: createAccountActions(store, notifier, now),
    messages: createMessageActions(store, notifier),
    requests,
  };

  const app = new Hono();
  app.use("*", async (c, next) => {
    if (c.req.header("x-api-key") !== options.accessToken) return c.json(missingCredentials(), 401);
    return next();
  });
  app.use("/api/v1/*", async (c, next) => {
    const ended = requests.start(c.req.method, c.req.path);
    try {
      const latency = faults.latencyMs();
      if (latency > 0) await Bun.sleep(latency);
      faults.check(c.req.method, c.req.path);
      await next();
    } finally {
      ended(c.res.status);
    }
  });

  const api = new Hono();
  for (const routes of [accountRoutes, chatRoutes, messageRoutes, webhookRoutes]) api.route("/", routes(context));
  app.route("/api/v1", api);
  app.route("/sandbox", controlRoutes(context));

  app.notFound((c) => c.json(errorBody(404, "errors/resource_not_found", `No route ${c.req.method} ${c.req.path}.`), 404));
  app.onError((error, c) => {
    if (error instanceof SandboxApiError) {
      for (const [key, value] of Object.entries(error.headers)) c.header(key, value);
      return c.json(error.body, error.body.status as 400);
    }
    return c.json(errorBody(500, "errors/unexpected_error", String(error)), 500);
  });

  return { app, context, close: () => deliverer.stop() };
}
