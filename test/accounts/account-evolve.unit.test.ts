import { describe, expect, test } from "bun:test";
import { type AccountRow, evolveAccount } from "../../src/accounts/account-evolve";
import { decide } from "../../src/accounts/decider";
import type { AccountEvent } from "../../src/accounts/events";
import { statusFromUnipile } from "../../src/accounts/status-mapping";

const U = "kR2mXq7vT0aLpYw3zN8bHg";
const ID = "0d9f6f1e-4a57-4d3c-9a55-2f4f6b8f7a01";
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

const requested = (at = t(0)): AccountEvent => ({
  type: "AccountConnectionRequested",
  data: { accountId: ID, userId: "alice", unipileAccountId: U, provider: "whatsapp", method: "qr", expiresAt: t(300), at },
});
const status = (word: string, at: string): AccountEvent => ({
  type: "AccountStatusReported",
  data: { unipileAccountId: U, unipileStatus: word, via: "webhook", at, raw: { AccountStatus: { account_id: U, message: word } } },
});
const fold = (...events: AccountEvent[]) => events.reduce<AccountRow | null>((row, event) => evolveAccount(row, event), null) as AccountRow;

describe("status mapping", () => {
  test.each([
    ["OK", "connected"],
    ["CREATION_SUCCESS", "connected"],
    ["RECONNECTED", "connected"],
    ["SYNC_SUCCESS", "connected"],
    ["CONNECTING", "connecting"],
    ["CREDENTIALS", "credentials_required"],
    ["PERMISSIONS", "permissions_required"],
    ["ERROR", "error"],
    ["STOPPED", "stopped"],
    ["CREATION_FAIL", "failed"],
    ["DELETED", "deleted"],
  ])("%s → %s, through the projection's fold", (word, expected) => {
    expect(statusFromUnipile(word)).toBe(expected as never);
    const row = fold(requested(), status(word, t(10)));
    expect(row.status).toBe(expected as never);
    expect(row.unipileStatus).toBe(word);
    expect(row.statusReason).toBe(word);
  });

  test("an unknown word keeps the status and says why", () => {
    const row = fold(requested(), status("OK", t(5)), status("BRAND_NEW_STATE", t(10)));
    expect(row.status).toBe("connected");
    expect(row.statusReason).toBe("unknown Unipile status BRAND_NEW_STATE");
  });
});

describe("evolveAccount", () => {
  test("a connection request opens a pending account with its QR deadline", () => {
    const row = fold(requested());
    expect(row).toMatchObject({ id: ID, userId: "alice", status: "pending", qrExpiresAt: new Date(t(300)), createdAt: new Date(t(0)) });
  });

  test("statuses that arrive before the request stand when it lands", () => {
    const row = fold(status("CREATION_SUCCESS", t(1)), status("OK", t(2)), requested(t(3)));
    expect(row).toMatchObject({ id: ID, userId: "alice", status: "connected", connectedAt: new Date(t(1)), qrExpiresAt: null });
  });

  test("SYNC_SUCCESS records the sync time; a repeat of a status changes only the time", () => {
    const row = fold(requested(), status("OK", t(2)), status("SYNC_SUCCESS", t(3)), status("OK", t(4)));
    expect(row).toMatchObject({ status: "connected", lastSync: new Date(t(3)), statusChangedAt: new Date(t(2)) });
  });

  test("after a disconnect, nothing Unipile says revives the account", () => {
    const disconnected: AccountEvent = { type: "AccountDisconnected", data: { accountId: ID, unipileAccountId: U, at: t(5), deletedAtUnipile: true } };
    const row = fold(requested(), status("OK", t(2)), disconnected, status("DELETED", t(6)), status("OK", t(7)));
    expect(row).toMatchObject({ status: "disconnected", disconnectedAt: new Date(t(5)), unipileStatus: "OK" });
  });

  test("the user's disconnect wins over a DELETED webhook that overtook it", () => {
    const disconnected: AccountEvent = { type: "AccountDisconnected", data: { accountId: ID, unipileAccountId: U, at: t(6), deletedAtUnipile: true } };
    expect(fold(requested(), status("OK", t(2)), status("DELETED", t(5)), disconnected).status).toBe("disconnected");
  });

  test("expiry ends only a pending attempt", () => {
    const expired: AccountEvent = { type: "ConnectionAttemptExpired", data: { accountId: ID, unipileAccountId: U, expiresAt: t(300), at: t(301) } };
    expect(fold(requested(), expired).status).toBe("expired");
    expect(fold(requested(), status("OK", t(10)), expired).status).toBe("connected");
  });

  test("a refreshed QR code makes the account pending again with a new deadline", () => {
    const refreshed: AccountEvent = { type: "QrCodeRefreshed", data: { accountId: ID, unipileAccountId: U, expiresAt: t(900), at: t(600) } };
    const row = fold(requested(), status("OK", t(10)), status("CREDENTIALS", t(20)), refreshed);
    expect(row).toMatchObject({ status: "pending", qrExpiresAt: new Date(t(900)) });
    expect(evolveAccount(row, status("RECONNECTED", t(610)))?.status).toBe("connected");
  });
});

describe("decide", () => {
  const now = new Date(t(400));
  test("reconnect: only the owner, only when the account needs a code", () => {
    const pending = fold(requested());
    expect(decide({ type: "RefreshQrCode", userId: "bob", expiresAt: now, at: now }, pending)).toEqual({ ok: false, error: "ACCOUNT_NOT_FOUND" });
    expect(decide({ type: "RefreshQrCode", userId: "alice", expiresAt: now, at: now }, fold(requested(), status("OK", t(1))))).toEqual({ ok: false, error: "ACCOUNT_ALREADY_CONNECTED" });
    const refresh = decide({ type: "RefreshQrCode", userId: "alice", expiresAt: now, at: now }, fold(requested(), status("CREDENTIALS", t(1))));
    expect(refresh.ok && refresh.value.map((e) => e.type)).toEqual(["QrCodeRefreshed"]);
  });

  test("disconnect twice: the second decides nothing", () => {
    const first = decide({ type: "DisconnectAccount", userId: "alice", deletedAtUnipile: true, at: now }, fold(requested()));
    expect(first.ok && first.value.map((e) => e.type)).toEqual(["AccountDisconnected"]);
    const after = fold(requested(), ...(first.ok ? first.value : []));
    expect(decide({ type: "DisconnectAccount", userId: "alice", deletedAtUnipile: true, at: now }, after)).toEqual({ ok: true, value: [] });
  });

  test("expiry is decided only once the deadline passed", () => {
    expect(decide({ type: "ExpireConnectionAttempt", at: new Date(t(299)) }, fold(requested()))).toEqual({ ok: true, value: [] });
    const due = decide({ type: "ExpireConnectionAttempt", at: new Date(t(300)) }, fold(requested()));
    expect(due.ok && due.value.map((e) => e.type)).toEqual(["ConnectionAttemptExpired"]);
  });

  test("an account nobody requested (a webhook for an unknown account) has no owner to act for", () => {
    expect(decide({ type: "DisconnectAccount", userId: "alice", deletedAtUnipile: true, at: now }, fold(status("OK", t(1))))).toEqual({ ok: false, error: "ACCOUNT_NOT_FOUND" });
  });
});
