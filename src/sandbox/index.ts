/**
 * @module sandbox
 * The Unipile sandbox: an HTTP emulator of the Unipile v1 API subset the
 * service uses (WhatsApp accounts with QR codes, chats, messages, webhooks
 * out) plus controls and fault injection under `/sandbox`.
 */
import { createSandbox, type Sandbox, type SandboxOptions } from "./app";
import { persistStore } from "./persistence";

export { createSandbox } from "./app";
export type { Sandbox, SandboxOptions } from "./app";
export type { Delivery, DeliveryAttempt, DeliveryOptions } from "./deliveries";

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** @default "127.0.0.1" */
  hostname?: string;
  /** Keeps the state in this file across restarts (see persistence.ts); unset: in memory only. */
  stateFile?: string;
}

export interface RunningSandbox {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:13111` (the SDK would build `//api/v1` otherwise). */
  url: string;
  sandbox: Sandbox;
  /** Accounts found in the state file at start. */
  restoredAccounts: number;
  stop(): Promise<void>;
}

/** Starts a sandbox on a port with `Bun.serve`. */
export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const { port, hostname = "127.0.0.1", stateFile, ...sandboxOptions } = options;
  const sandbox = createSandbox(sandboxOptions);
  const persisted = stateFile ? persistStore(sandbox.context.store, stateFile) : null;
  const fetch = async (request: Request) => {
    const response = await sandbox.app.fetch(request);
    if (persisted && request.method !== "GET") persisted.changed();
    return response;
  };
  const server = Bun.serve({ port, hostname, fetch, idleTimeout: 60 });
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${server.port}`,
    sandbox,
    restoredAccounts: persisted?.restoredAccounts ?? 0,
    async stop() {
      sandbox.close();
      await server.stop(true);
      persisted?.close();
    },
  };
}
