/**
 * @module sandbox
 * The Unipile sandbox: an HTTP emulator of the Unipile v1 API subset the
 * service uses (WhatsApp accounts with QR codes, chats, messages, webhooks
 * out) plus controls and fault injection under `/sandbox`.
 */
import { createSandbox, type Sandbox, type SandboxOptions } from "./app";

export { createSandbox } from "./app";
export type { Sandbox, SandboxOptions } from "./app";
export type { Delivery, DeliveryAttempt, DeliveryOptions } from "./deliveries";

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 picks a free port. */
  port: number;
  /** @default "127.0.0.1" */
  hostname?: string;
}

export interface RunningSandbox {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:13111` (the SDK would build `//api/v1` otherwise). */
  url: string;
  sandbox: Sandbox;
  stop(): Promise<void>;
}

/** Starts a sandbox on a port with `Bun.serve`. */
export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const { port, hostname = "127.0.0.1", ...sandboxOptions } = options;
  const sandbox = createSandbox(sandboxOptions);
  const server = Bun.serve({ port, hostname, fetch: sandbox.app.fetch, idleTimeout: 60 });
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${server.port}`,
    sandbox,
    async stop() {
      sandbox.close();
      await server.stop(true);
    },
  };
}
