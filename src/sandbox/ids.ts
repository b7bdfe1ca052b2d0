/**
 * @module sandbox/ids
 * Identifier shapes as Unipile and WhatsApp produce them: 22-char url-safe
 * Unipile ids, `3EB0…` provider message keys, phone JIDs, `@lid` ids, group JIDs.
 */
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const randomFrom = (alphabet: string, length: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
};

/** A Unipile id such as `zYnh13HWV76_G3KyE-cAyg`. */
export const unipileId = (): string => randomFrom(URL_SAFE, 22);

/** A WhatsApp message key such as `3EB0A1B2C3D4E5F60718`. */
export const providerMessageId = (): string => `3EB0${randomFrom("0123456789ABCDEF", 16)}`;

/** Digits only: strips `+`, spaces and any `@…` suffix. */
export const phoneDigits = (value: string): string => value.replace(/@.*$/, "").replace(/\D/g, "");

export const phoneJid = (phone: string): string => `${phoneDigits(phone)}@s.whatsapp.net`;

export const isGroupJid = (id: string): boolean => id.endsWith("@g.us");

/** A privacy "linked id": opaque, never derived from the phone. */
export const lidJid = (): string => `${randomFrom("0123456789", 15).replace(/^0/, "1")}@lid`;

export const groupJid = (): string => `1203630${randomFrom("0123456789", 11)}@g.us`;

/** WhatsApp multi-device pairing payload shape `2@<ref>,<key>,<key>,<n>`. */
export const qrPayload = (): string => {
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  return `2@${randomFrom(b64, 44)},${randomFrom(b64, 43)}=,${randomFrom(b64, 43)}=,${randomFrom(b64, 43)}=,1`;
};

/** An 8-character pairing code as WhatsApp shows it, `ABCD-EFGH`. */
export const pairingCode = (): string => {
  const code = randomFrom("ABCDEFGHJKLMNPQRSTVWXYZ123456789", 8);
  return `${code.slice(0, 4)}-${code.slice(4)}`;
};
