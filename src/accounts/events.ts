/**
 * @module accounts/events
 * The durable contract of an account's life. One stream per Unipile account
 * (`account:<unipile account id>`), so a webhook needs no lookup to find it.
 * Facts from Unipile keep its raw payload; commands keep actor and request id
 * in the metadata. No QR code, token or secret is ever stored. Pure.
 */

export { accountStream } from "../unipile/ingest/keys";

export type ConnectionMethod = "qr" | "pairing_code";
/** How a status reached us. */
export type StatusChannel = "webhook" | "poll" | "hosted_auth";

export interface AccountConnectionRequested {
  type: "AccountConnectionRequested";
  data: {
    accountId: string;
    userId: string;
    unipileAccountId: string;
    provider: "whatsapp";
    method: ConnectionMethod;
    /** When the QR (or pairing code) stops being worth scanning. */
    expiresAt: string;
    at: string;
  };
}

export interface QrCodeRefreshed {
  type: "QrCodeRefreshed";
  data: { accountId: string; unipileAccountId: string; expiresAt: string; at: string };
}

export interface AccountStatusReported {
  type: "AccountStatusReported";
  data: {
    unipileAccountId: string;
    /** Unipile's word: an AccountStatus message (OK, CREDENTIALS, …) or a sources[].status. */
    unipileStatus: string;
    via: StatusChannel;
    at: string;
    /** What Unipile sent, as received. */
    raw: unknown;
    /** Why the status was recorded, when Unipile's word alone does not say (a drift check's 404). */
    reason?: string;
  };
}

export interface AccountDetailsObserved {
  type: "AccountDetailsObserved";
  data: { unipileAccountId: string; name: string | null; phoneNumber: string | null; at: string; raw: unknown };
}

export interface ConnectionAttemptExpired {
  type: "ConnectionAttemptExpired";
  data: { accountId: string; unipileAccountId: string; expiresAt: string; at: string };
}

export interface AccountDisconnected {
  type: "AccountDisconnected";
  data: {
    accountId: string;
    unipileAccountId: string;
    at: string;
    /** Whether Unipile still had the account when we deleted it. */
    deletedAtUnipile: boolean;
  };
}

export type AccountEvent =
  | AccountConnectionRequested
  | QrCodeRefreshed
  | AccountStatusReported
  | AccountDetailsObserved
  | ConnectionAttemptExpired
  | AccountDisconnected;

export type AccountEventType = AccountEvent["type"];

export const ACCOUNT_EVENT_TYPES: readonly AccountEventType[] = [
  "AccountConnectionRequested",
  "QrCodeRefreshed",
  "AccountStatusReported",
  "AccountDetailsObserved",
  "ConnectionAttemptExpired",
  "AccountDisconnected",
];

export const isAccountEvent = (event: { type: string }): event is AccountEvent =>
  (ACCOUNT_EVENT_TYPES as readonly string[]).includes(event.type);
