/**
 * @module http/client-address
 * The address of the peer that opened the connection, as Bun's server saw it
 * (`server.requestIP`). Forwarding headers are not believed: anyone can set
 * them. A request handed to the app in-process (`app.request` in tests) has
 * no server and no peer: `null`.
 */
import type { Context } from "hono";

interface BunServerLike {
  requestIP?: (request: Request) => { address: string } | null;
}

export function peerAddress(c: Context): string | null {
  const env = c.env as (BunServerLike & { server?: BunServerLike }) | undefined;
  const server = typeof env?.requestIP === "function" ? env : env?.server;
  if (typeof server?.requestIP !== "function") return null;
  return server.requestIP(c.req.raw)?.address ?? null;
}

/** 127.0.0.0/8, ::1, and IPv4 loopback written as IPv6. */
export function isLoopback(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\./i.test(address);
}
