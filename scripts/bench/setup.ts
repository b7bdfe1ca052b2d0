/**
 * The bench's world: Postgres, the sandbox and the service started; five
 * WhatsApp accounts linked through the real API and the sandbox's QR scan
 * (the sandbox seeds their chats); the world file the load processes read.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { signToken } from "../../src/http/auth";
import { type BenchChat, type BenchWorld, machineInfo } from "./common";
import { allSizes, type Options } from "./options";
import { ServiceMemory } from "./parts/memory";
import { type Database, type Processes, type Sandbox, Service, startPostgres, startSandbox, waitFor } from "./processes";
import { type Report, step } from "./report";

/** Everything a part needs. */
export interface Bench {
  options: Options;
  processes: Processes;
  report: Report;
  database: Database;
  sandbox: Sandbox;
  service: Service;
  memory: ServiceMemory;
  /** The world file (JSON) the load processes read. */
  worldFile: string;
  /** Makes this run's ids distinct from any other's. */
  runId: string;
  accountCount: number;
  /** The process trees whose CPU seconds each part reports. */
  roots(): Record<string, number>;
}

export async function setUp(options: Options, processes: Processes, report: Report): Promise<Bench> {
  const database = await startPostgres(processes);
  step(`postgres ${database.version} up on port ${database.port}`);
  const run = { date: new Date().toISOString(), mode: options.smoke ? "smoke" : "full", parts: [...options.parts], machine: machineInfo(), postgres: database.version, sizes: allSizes(options) };
  console.log(JSON.stringify({ run }));

  const sandbox = await startSandbox(processes);
  const service = new Service(processes, database, sandbox, options);
  await service.start();
  step("sandbox and service up");
  const world = await linkAccounts(options, sandbox, service, database.url);
  const worldFile = join(processes.temp, "world.json");
  writeFileSync(worldFile, JSON.stringify(world));
  return {
    options,
    processes,
    report,
    database,
    sandbox,
    service,
    memory: new ServiceMemory(service),
    worldFile,
    runId: randomBytes(4).toString("hex"),
    accountCount: options.size("accounts"),
    roots: () => ({ service: service.child.proc.pid, postgres: database.child.proc.pid, sandbox: sandbox.child.proc.pid }),
  };
}

type Api = <T>(method: string, path: string) => Promise<T>;

/** The accounts, linked the way a user links them: connect, scan the QR, wait for "connected". */
async function linkAccounts(options: Options, sandbox: Sandbox, service: Service, databaseUrl: string): Promise<BenchWorld> {
  const userId = "bench-user";
  const token = await signToken(service.jwtSecret, { sub: userId, expiresIn: "12h" });
  const api: Api = async <T>(method: string, path: string): Promise<T> => {
    const response = await fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`service ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const accountCount = options.size("accounts");
  const chatsPerAccount = Math.ceil(options.size("chats") / accountCount);
  const accounts: BenchWorld["accounts"] = [];
  const chats: BenchChat[] = [];
  for (let a = 0; a < accountCount; a++) {
    const linked = await linkAccount(a, chatsPerAccount, api, sandbox);
    chats.push(...linked.chats);
    accounts.push(linked.account);
  }
  for (const account of accounts) {
    await waitFor(`account ${account.accountId} connected`, service.child, async () => {
      const status = await api<{ status: string }>("GET", `/api/unipile/check-status?accountId=${account.accountId}`);
      return status.status === "connected" ? true : null;
    });
  }
  step(`${accountCount} accounts connected, ${chats.length} chats seeded`);
  const { url: sandboxUrl, token: sandboxToken } = sandbox;
  return { serviceUrl: service.url, sandboxUrl, sandboxToken, databaseUrl, webhookSecret: service.webhookSecret, token, userId, accounts, chats: chats.slice(0, options.size("chats")) };
}

/** Account number `a`: connected through the service, its QR scanned in the sandbox, its chats seeded. */
async function linkAccount(a: number, chatsPerAccount: number, api: Api, sandbox: Sandbox) {
  const phone = `3361000${String(a + 1).padStart(5, "0")}`;
  const connection = await api<{ accountId: string; accountIdentifier: string }>("POST", "/api/unipile/connect-whatsapp");
  const unipileAccountId = connection.accountIdentifier;
  await sandbox.api("POST", `/sandbox/accounts/${unipileAccountId}/scan`, { phone_number: phone, name: `Bench ${a + 1}` });
  const seeded = await sandbox.api<{ chat_ids: string[] }>("POST", `/sandbox/accounts/${unipileAccountId}/history`, { chats: chatsPerAccount, messages_per_chat: 0 });
  const chats: BenchChat[] = [];
  for (const chatId of seeded.chat_ids) {
    const chat = await sandbox.api<{ provider_id: string; type: number; name: string | null }>("GET", `/api/v1/chats/${chatId}`);
    const members = await sandbox.api<{ items: { id: string; provider_id: string; name: string; is_self: number }[] }>("GET", `/api/v1/chats/${chatId}/attendees`);
    const contact = members.items.find((m) => !m.is_self);
    if (!contact) throw new Error(`sandbox chat ${chatId} has no contact`);
    chats.push({
      unipileAccountId,
      accountPhone: phone,
      chatId,
      providerChatId: chat.provider_id,
      isGroup: chat.type === 1,
      subject: chat.type === 1 ? chat.name : null,
      contact: { attendeeId: contact.id, name: contact.name, phone: contact.provider_id.replace(/@.*$/, "") },
    });
  }
  return { account: { accountId: connection.accountId, unipileAccountId, phone }, chats };
}
