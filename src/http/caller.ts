/**
 * @module http/caller
 * Who a request is for the service's shares and limits, decided before the
 * route runs: `user:<sub>` when it carries a valid bearer token, else
 * `ip:<peer address>` (`ip:in-process` for `app.request`). An invalid token
 * counts against its address, so minting garbage tokens gains nothing. The
 * token is verified here and again by the route (a signature check costs
 * microseconds); the answer is kept for the request.
 */
import type { Context } from "hono";
import type { Authenticator } from "./auth";
import { peerAddress } from "./client-address";

const known = new WeakMap<Context, Promise<Caller>>();

export interface Caller {
  key: string;
  scope: "user" | "ip";
}

export function callerOf(c: Context, authenticator: Authenticator): Promise<Caller> {
  let caller = known.get(c);
  if (!caller) {
    caller = resolve(c, authenticator);
    known.set(c, caller);
  }
  return caller;
}

async function resolve(c: Context, authenticator: Authenticator): Promise<Caller> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  if (match?.[1]) {
    const principal = await authenticator.authenticate(match[1]).catch(() => null);
    if (principal) return { key: `user:${principal.userId}`, scope: "user" };
  }
  return { key: `ip:${peerAddress(c) ?? "in-process"}`, scope: "ip" };
}
