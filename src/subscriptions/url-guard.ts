/**
 * @module subscriptions/url-guard
 * Where deliveries may go (SSRF protection): http(s) only, and no private,
 * loopback, link-local, unique-local or unspecified address, unless private
 * targets are allowed (development, tests). Checked when a subscription is
 * saved and again before every delivery (the name may resolve elsewhere by
 * then). `isBlockedAddress` is pure.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

function v4Blocked(address: string): boolean {
  const [a = 0, b = 0] = address.split(".").map(Number);
  return (
    a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) || a >= 224
  );
}

/** True for addresses a delivery must not reach. */
export function isBlockedAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 4) return v4Blocked(address);
  if (kind !== 6) return true;
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return v4Blocked(mapped[1] as string);
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (mappedHex) {
    const [high, low] = [Number.parseInt(mappedHex[1] as string, 16), Number.parseInt(mappedHex[2] as string, 16)];
    return v4Blocked(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  if (lower === "::" || lower === "::1") return true;
  const first = Number.parseInt(lower.split(":")[0] || "0", 16);
  return (first & 0xffc0) === 0xfe80 || (first & 0xfe00) === 0xfc00 || (first & 0xff00) === 0xff00;
}

/** The shape rules, without resolving the host. */
export function checkUrlShape(raw: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, reason: "must be an http(s) URL" };
  if (url.username || url.password) return { ok: false, reason: "must not carry credentials" };
  return { ok: true, url };
}

/** Shape, then every address the host resolves to. */
export async function checkTarget(raw: string, allowPrivate: boolean): Promise<UrlCheck> {
  const shape = checkUrlShape(raw);
  if (!shape.ok || allowPrivate) return shape;
  const host = shape.url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return { ok: false, reason: `host ${host} does not resolve` };
    }
  }
  const blocked = addresses.find(isBlockedAddress);
  if (blocked || addresses.length === 0) return { ok: false, reason: `resolves to a private, loopback or link-local address (${blocked ?? "none"})` };
  return shape;
}
