/**
 * @module accounts/service
 * The account use cases: each talks to Unipile through the gateway, decides
 * with the pure decider, appends to the account's stream and waits (briefly)
 * for the projection, so the caller's next query sees its own write.
 */
import type { Logger } from "pino";
import type { Sql } from "../db/client";
import type { EventMetadata, FactAppendResult, LogPosition, NewEvent } from "../event-store/event";
import { commandMetadata, type EventStore, systemMetadata } from "../event-store";
import { storableText } from "../event-store/storable";
import type { Clock } from "../lib/clock";
import type { IdGenerator } from "../lib/ids";
import { err, ok, type Result } from "../lib/result";
import type { ProjectionRunner } from "../projections/runner";
import type { RestAccount, UnipileFailure, UnipileGateway } from "../unipile";
import { type AccountRow, evolveAccount } from "./account-evolve";
import { type AccountCommand, type AccountError, decide } from "./decider";
import { type AccountEvent, accountStream, isAccountEvent, type StatusChannel } from "./events";
import { getAccountForUser } from "./queries";
import { TERMINAL } from "./status-mapping";

export interface AccountsDeps {
  sql: Sql;
  eventStore: EventStore;
  gateway: UnipileGateway;
  runner: ProjectionRunner;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  /** How long a QR code (or pairing code) may wait for its scan. */
  qrExpiryMs: number;
}

export type AccountsFailure = { code: AccountError } | { code: "UPSTREAM"; failure: UnipileFailure };

export interface Actor {
  userId: string;
  requestId: string;
}

export interface ConnectionAttempt {
  accountId: string;
  unipileAccountId: string;
  qrCode: string;
  pairingCode: string | null;
  expiresAt: Date;
}

export type AccountsService = ReturnType<typeof createAccountsService>;

/** What Unipile reported about an account's status, and how it arrived. */
export interface StatusReport {
  unipileAccountId: string;
  unipileStatus: string;
  via: StatusChannel;
  raw: unknown;
  metadata: EventMetadata;
  received?: NewEvent["received"];
  reason?: string;
}

/** Read → fold → decide → append at the read version; re-decides after a concurrent write (event-store's command handler). */
async function handle(deps: AccountsDeps, unipileAccountId: string, command: AccountCommand, metadata: EventMetadata) {
  const handled = await deps.eventStore.handle<AccountRow | null, AccountEvent, AccountError>({
    streamId: accountStream(unipileAccountId),
    initial: null,
    evolve: (row, event) => (isAccountEvent(event) ? evolveAccount(row, event) : row),
    decide: (account) => decide(command, account),
    metadata,
  });
  if (!handled.ok) return handled;
  if (handled.value.position) await deps.runner.waitFor(handled.value.position);
  return ok({ appended: handled.value.events.length > 0 });
}

const seen = (result: FactAppendResult): LogPosition => ({ transactionId: result.transactionId, globalPosition: result.globalPosition });

async function connect(deps: AccountsDeps, actor: Actor, options: { pairingPhoneNumber?: string }): Promise<Result<ConnectionAttempt, AccountsFailure>> {
  const { gateway, clock } = deps;
  const checkpoint = options.pairingPhoneNumber
    ? await gateway.connectWhatsappWithPairingCode(options.pairingPhoneNumber)
    : await gateway.connectWhatsapp();
  if (!checkpoint.ok) return err({ code: "UPSTREAM", failure: checkpoint.error });
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + deps.qrExpiryMs);
  const accountId = deps.ids.uuid();
  const unipileAccountId = checkpoint.value.accountId;
  const [stored] = await deps.eventStore.appendFacts([
    {
      streamId: accountStream(unipileAccountId),
      type: "AccountConnectionRequested",
      data: {
        accountId,
        userId: actor.userId,
        unipileAccountId,
        provider: "whatsapp",
        method: options.pairingPhoneNumber ? "pairing_code" : "qr",
        expiresAt: expiresAt.toISOString(),
        at: now.toISOString(),
      } satisfies AccountEvent["data"],
      metadata: commandMetadata(actor, clock),
      dedupeKey: `account-connection:${unipileAccountId}`,
    },
  ]);
  if (stored) await deps.runner.waitFor(seen(stored));
  const pairingCode = "pairingCode" in checkpoint.value ? (checkpoint.value.pairingCode as string | null) : null;
  return ok({ accountId, unipileAccountId, qrCode: checkpoint.value.qrCode, pairingCode, expiresAt });
}

async function reconnect(deps: AccountsDeps, actor: Actor, accountId: string): Promise<Result<ConnectionAttempt, AccountsFailure>> {
  const { clock } = deps;
  const account = await getAccountForUser(deps.sql, accountId, actor.userId);
  if (!account) return err({ code: "ACCOUNT_NOT_FOUND" });
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + deps.qrExpiryMs);
  const command: AccountCommand = { type: "RefreshQrCode", userId: actor.userId, expiresAt, at: now };
  const precheck = decide(command, account);
  if (!precheck.ok) return err({ code: precheck.error });
  const checkpoint = await deps.gateway.reconnectWhatsapp(account.unipileAccountId);
  if (!checkpoint.ok) return err({ code: "UPSTREAM", failure: checkpoint.error });
  const handled = await handle(deps, account.unipileAccountId, command, commandMetadata(actor, clock));
  if (!handled.ok) return err({ code: handled.error });
  return ok({ accountId, unipileAccountId: account.unipileAccountId, qrCode: checkpoint.value.qrCode, pairingCode: null, expiresAt });
}

async function disconnect(deps: AccountsDeps, actor: Actor, accountId: string): Promise<Result<{ alreadyDisconnected: boolean }, AccountsFailure>> {
  const { clock } = deps;
  const account = await getAccountForUser(deps.sql, accountId, actor.userId);
  if (!account) return err({ code: "ACCOUNT_NOT_FOUND" });
  // Disconnected, or deleted at Unipile: already gone, and it stays as it is.
  if (TERMINAL.includes(account.status)) return ok({ alreadyDisconnected: true });
  const deleted = await deps.gateway.deleteAccount(account.unipileAccountId);
  const gone = !deleted.ok && deleted.error.kind === "http" && deleted.error.status === 404;
  if (!deleted.ok && !gone) return err({ code: "UPSTREAM", failure: deleted.error });
  const handled = await handle(
    deps,
    account.unipileAccountId,
    { type: "DisconnectAccount", userId: actor.userId, deletedAtUnipile: !gone, at: clock.now() },
    commandMetadata(actor, clock),
  );
  if (!handled.ok) return err({ code: handled.error });
  return ok({ alreadyDisconnected: !handled.value.appended });
}

async function recordStatus(deps: AccountsDeps, input: StatusReport) {
  const { eventStore } = deps;
  const streamId = accountStream(input.unipileAccountId);
  // Looked up as the log stores ids and statuses (a NUL or lone surrogate from Unipile included).
  const previous = await eventStore.readLastInStream(streamId, ["AccountStatusReported"]);
  const last = previous && { global_position: previous.globalPosition, dedupe_key: previous.dedupeKey, status: (previous.data as { unipileStatus?: string }).unipileStatus };
  // SYNC_SUCCESS again means new history at Unipile (an import follows), not a retried delivery: never
  // merged with the previous one (a retry of it costs one more import, which finds nothing new).
  const sameAsLast = last?.status === storableText(input.unipileStatus) && input.unipileStatus.toUpperCase() !== "SYNC_SUCCESS";
  const dedupeKey =
    last?.dedupe_key && sameAsLast
      ? last.dedupe_key
      : `account-status:${input.unipileAccountId}:after:${last?.global_position ?? 0}:${input.unipileStatus}`;
  const [result] = await eventStore.appendFacts([
    {
      streamId,
      type: "AccountStatusReported",
      data: {
        unipileAccountId: input.unipileAccountId,
        unipileStatus: input.unipileStatus,
        via: input.via,
        at: deps.clock.now().toISOString(),
        raw: input.raw,
        ...(input.reason ? { reason: input.reason } : {}),
      } satisfies AccountEvent["data"],
      metadata: input.metadata,
      dedupeKey,
      ...(input.received ? { received: input.received } : {}),
    },
  ]);
  if (!result) throw new Error("status report not stored");
  return result;
}

async function recordDetails(deps: AccountsDeps, row: AccountRow, account: RestAccount) {
  const phoneNumber = account.connection_params?.im?.phone_number ?? null;
  if (account.name === row.name && phoneNumber === row.phoneNumber) return null;
  const [result] = await deps.eventStore.appendFacts([
    {
      streamId: accountStream(row.unipileAccountId),
      type: "AccountDetailsObserved",
      data: { unipileAccountId: row.unipileAccountId, name: account.name, phoneNumber, at: deps.clock.now().toISOString(), raw: account },
      metadata: systemMetadata("poll", deps.clock),
    },
  ]);
  return result ?? null;
}

async function expire(deps: AccountsDeps, row: AccountRow) {
  const handled = await handle(deps, row.unipileAccountId, { type: "ExpireConnectionAttempt", at: deps.clock.now() }, systemMetadata("system", deps.clock));
  // The attempt stays at Unipile: `reconnect` asks it for a new QR code. A late scan of the old one is
  // accepted, and visible: its status webhooks move the account from expired to connected.
  return handled.ok && handled.value.appended;
}

export function createAccountsService(deps: AccountsDeps) {
  return {
    /** Asks Unipile for a new WhatsApp account and records the attempt. */
    connect(actor: Actor, options: { pairingPhoneNumber?: string } = {}): Promise<Result<ConnectionAttempt, AccountsFailure>> {
      return connect(deps, actor, options);
    },

    /** A fresh QR code for an account waiting for one (expired, credentials lost, …). */
    reconnect(actor: Actor, accountId: string): Promise<Result<ConnectionAttempt, AccountsFailure>> {
      return reconnect(deps, actor, accountId);
    },

    /** Deletes the account at Unipile and records it; a repeat changes nothing. */
    disconnect(actor: Actor, accountId: string): Promise<Result<{ alreadyDisconnected: boolean }, AccountsFailure>> {
      return disconnect(deps, actor, accountId);
    },

    /**
     * Records a status Unipile reported. Unipile sends status webhooks on
     * transitions only and with no id, so the same status twice in a row is
     * one fact (a retried delivery): its key is the previous report's. Any
     * other report is keyed by the previous report's position, so concurrent
     * copies of one delivery still make one fact.
     */
    recordStatus(input: StatusReport) {
      return recordStatus(deps, input);
    },

    /** Records the name and number Unipile reports for an account, when they changed. */
    recordDetails(row: AccountRow, account: RestAccount) {
      return recordDetails(deps, row, account);
    },

    /** Ends a connection attempt whose QR code was not scanned in time (no-op otherwise). */
    expire(row: AccountRow) {
      return expire(deps, row);
    },
  };
}
