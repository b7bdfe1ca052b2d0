/**
 * @module console/api-client
 * The typed API client the console's components take as a prop. It is
 * `hc` from `hono/client`; `ApiClient` spells out, by hand, the shape `hc`
 * gives the routes the console calls (paths, `param`/`query`/`json`/`form`/
 * `header` arguments, answers), so that the components are written in `hc`'s
 * syntax and keep working unchanged when the type becomes
 * `ReturnType<typeof hc<AppType>>`.
 */
import { type ClientRequestOptions, type ClientResponse, hc } from "hono/client";
import type { StatusCode } from "hono/utils/http-status";
import type { Account, Connection, Conversation, Me, Message, Page, SendAnswer, SessionInfo, AuditEventPage, AccountState, ConversationState } from "./model";

type Res<T> = Promise<ClientResponse<T, StatusCode, "json">>;
type Opt = ClientRequestOptions;
type Header = { header?: Record<string, string> };

export interface ApiClient {
  console: { session: { $get(args?: Header, options?: Opt): Res<SessionInfo> } };
  api: {
    me: { $get(args?: Header, options?: Opt): Res<Me> };
    console: {
      sandbox: {
        scan: { $post(args: { query: { accountId: string }; json: { phoneNumber?: string; name?: string } }, options?: Opt): Res<{ scanned: true }> };
        incoming: { $post(args: { query: { conversationId: string }; json: { text?: string } }, options?: Opt): Res<{ written: true; messageId: string | null }> };
      };
    };
    unipile: {
      "connect-whatsapp": { $post(args: { json: { pairingPhoneNumber?: string } }, options?: Opt): Res<Connection> };
      "check-status": { $get(args: { query: { accountId: string; wait?: string } }, options?: Opt): Res<Account> };
      account: {
        $get(args: { query: { accountId?: string } }, options?: Opt): Res<{ accounts: Account[] }>;
        $delete(args: { query: { accountId: string } }, options?: Opt): Res<{ account: Account; alreadyDisconnected: boolean }>;
        reconnect: { $post(args: { query: { accountId: string } }, options?: Opt): Res<Connection> };
      };
      message: {
        $post(
          args: { form: { content: string; accountId: string; chatId?: string; quoteId?: string; attachments?: File[] } } & Header,
          options?: Opt,
        ): Res<SendAnswer>;
      };
    };
    conversations: {
      $get(args: { query: { accountId?: string; cursor?: string; limit?: string } }, options?: Opt): Res<Page<Conversation>>;
      ":id": {
        $get(args: { param: { id: string } }, options?: Opt): Res<Conversation>;
        messages: { $get(args: { param: { id: string }; query: { cursor?: string; limit?: string } }, options?: Opt): Res<Page<Message>> };
        read: { $post(args: { param: { id: string } }, options?: Opt): Res<{ conversation: Conversation; syncedToUnipile: boolean }> };
      };
    };
    messages: {
      ":id": { attachments: { ":attachmentId": { $get(args: { param: { id: string; attachmentId: string } }, options?: Opt): Promise<ClientResponse<unknown>> } } };
    };
    events: { stream: { $get(args: Header, options?: Opt): Promise<ClientResponse<unknown>> } };
    audit: {
      events: { $get(args: { query: Record<string, string> }, options?: Opt): Res<AuditEventPage> };
      accounts: { ":id": { state: { $get(args: { param: { id: string }; query: { at?: string } }, options?: Opt): Res<AccountState> } } };
      conversations: { ":id": { state: { $get(args: { param: { id: string }; query: { at?: string } }, options?: Opt): Res<ConversationState> } } };
    };
  };
}

/**
 * The client for a base URL (the console passes its own origin). With a
 * token, every request carries `Authorization: Bearer`; without one, the
 * browser's same-origin cookies (the app's session, where configured) go along.
 */
export function createApiClient(baseUrl: string, token: string | null): ApiClient {
  return hc(baseUrl, {
    headers: (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {}),
    init: { credentials: "same-origin" },
  }) as unknown as ApiClient;
}

/** The `{error, code}` of a failed answer, in words. */
export async function problemOf(response: { status: number; json(): Promise<unknown> }): Promise<string> {
  const body = (await response.json().catch(() => null)) as { error?: unknown; code?: unknown } | null;
  if (body && typeof body.error === "string") return body.error;
  return `The service answered ${response.status}.`;
}
