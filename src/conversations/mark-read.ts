/**
 * @module conversations/mark-read
 * Marking a conversation read, here and at Unipile (`PATCH /chats/{id}`
 * setReadStatus). While the account is connected, Unipile must accept it
 * first (a refusal records nothing); an account that is not connected cannot
 * tell Unipile, so the mark is recorded here alone and says so.
 */
import { getAccountForUser } from "../accounts";
import type { Sql } from "../db/client";
import { commandMetadata, type EventStore } from "../event-store";
import type { Clock } from "../lib/clock";
import { err, ok, type Result } from "../lib/result";
import type { ProjectionRunner } from "../projections/runner";
import type { UnipileFailure, UnipileGateway } from "../unipile";
import { chatStream, type ConversationMarkedRead } from "./events";
import type { ConversationRow } from "./model";
import { getConversationForUser } from "./queries";
import type { Actor } from "../sends";

export interface ReadServiceDeps {
  sql: Sql;
  eventStore: EventStore;
  gateway: UnipileGateway;
  runner: ProjectionRunner;
  clock: Clock;
}

export type ReadError = { code: "CONVERSATION_NOT_FOUND" } | { code: "UPSTREAM"; failure: UnipileFailure };

export function createReadService(deps: ReadServiceDeps) {
  return {
    async markRead(actor: Actor, conversationId: string): Promise<Result<{ conversation: ConversationRow; syncedToUnipile: boolean }, ReadError>> {
      const conversation = await getConversationForUser(deps.sql, conversationId, actor.userId);
      if (!conversation?.accountId) return err({ code: "CONVERSATION_NOT_FOUND" });
      const account = await getAccountForUser(deps.sql, conversation.accountId, actor.userId);
      const connected = account?.status === "connected";
      if (connected) {
        const marked = await deps.gateway.markChatRead(conversation.unipileChatId, true);
        if (!marked.ok) return err({ code: "UPSTREAM", failure: marked.error });
      }
      const data: ConversationMarkedRead["data"] = {
        conversationId,
        unipileAccountId: conversation.unipileAccountId,
        unipileChatId: conversation.unipileChatId,
        userId: actor.userId,
        syncedToUnipile: connected,
        at: deps.clock.now().toISOString(),
      };
      const appended = await deps.eventStore.appendToStream(
        chatStream(conversation.unipileChatId),
        [{ type: "ConversationMarkedRead", data, metadata: commandMetadata(actor, new Date(data.at)) }],
        { expectedVersion: "any" },
      );
      if (!appended.ok) throw new Error(`read mark not recorded: ${appended.error.code}`);
      await deps.runner.waitFor({ transactionId: appended.value.transactionId, globalPosition: appended.value.globalPositions.at(-1) ?? 0 });
      const updated = await getConversationForUser(deps.sql, conversationId, actor.userId);
      return ok({ conversation: updated ?? conversation, syncedToUnipile: connected });
    },
  };
}

export type ReadService = ReturnType<typeof createReadService>;
