/**
 * @module sandbox/context
 * Everything a sandbox route needs, built once per sandbox and handed to
 * each route group.
 */
import type { AccountActions } from "./account-actions";
import type { Deliverer } from "./deliveries";
import type { Faults } from "./faults";
import type { MessageActions } from "./message-actions";
import type { Notifier } from "./notifier";
import type { RequestLog } from "./request-log";
import type { SandboxStore } from "./store";

export interface SandboxContext {
  store: SandboxStore;
  faults: Faults;
  deliverer: Deliverer;
  notifier: Notifier;
  accounts: AccountActions;
  messages: MessageActions;
  now: () => number;
  /** Every API request, for tests to check concurrency and pace. */
  requests: RequestLog;
}
