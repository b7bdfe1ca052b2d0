/**
 * @module accounts/decider
 * What our own commands may do to an account, decided from its events. Pure.
 */
import { err, ok, type Result } from "../lib/result";
import type { AccountRow } from "./account-evolve";
import type { AccountEvent } from "./events";
import { RECONNECTABLE, TERMINAL } from "./status-mapping";

export type AccountCommand =
  | { type: "RefreshQrCode"; userId: string; expiresAt: Date; at: Date }
  | { type: "DisconnectAccount"; userId: string; deletedAtUnipile: boolean; at: Date }
  | { type: "ExpireConnectionAttempt"; at: Date };

export type AccountError = "ACCOUNT_NOT_FOUND" | "ACCOUNT_ALREADY_CONNECTED" | "ACCOUNT_DISCONNECTED";

/** The events a command adds; an empty list means there is nothing to do (idempotent repeats). */
export function decide(command: AccountCommand, account: AccountRow | null): Result<AccountEvent[], AccountError> {
  if (!account?.id) return err("ACCOUNT_NOT_FOUND");
  const { id: accountId, unipileAccountId } = account;
  switch (command.type) {
    case "RefreshQrCode": {
      if (account.userId !== command.userId) return err("ACCOUNT_NOT_FOUND");
      if (TERMINAL.includes(account.status)) return err("ACCOUNT_DISCONNECTED");
      if (!RECONNECTABLE.includes(account.status)) return err("ACCOUNT_ALREADY_CONNECTED");
      return ok([
        {
          type: "QrCodeRefreshed",
          data: { accountId, unipileAccountId, expiresAt: command.expiresAt.toISOString(), at: command.at.toISOString() },
        },
      ]);
    }
    case "DisconnectAccount": {
      if (account.userId !== command.userId) return err("ACCOUNT_NOT_FOUND");
      // A DELETED webhook may overtake the user's own disconnect (Unipile reports the deletion it asked for):
      // the account is then recorded disconnected as asked. A DELETE on an account deleted before is
      // answered by the service without asking Unipile (service.ts).
      if (account.status === "disconnected") return ok([]);
      return ok([
        {
          type: "AccountDisconnected",
          data: { accountId, unipileAccountId, at: command.at.toISOString(), deletedAtUnipile: command.deletedAtUnipile },
        },
      ]);
    }
    case "ExpireConnectionAttempt": {
      if (account.status !== "pending" || !account.qrExpiresAt || account.qrExpiresAt > command.at) return ok([]);
      return ok([
        {
          type: "ConnectionAttemptExpired",
          data: { accountId, unipileAccountId, expiresAt: account.qrExpiresAt.toISOString(), at: command.at.toISOString() },
        },
      ]);
    }
    default: {
      const unexpected: never = command;
      return unexpected;
    }
  }
}
