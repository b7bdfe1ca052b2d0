/**
 * Fuzz: every route of the app, as its OpenAPI document lists them, called
 * over loopback with valid authentication and hostile input in every
 * parameter, body field and some headers: NUL, lone surrogates, invalid
 * UTF-8, 100,000-deep JSON, years 0000 and 10000, huge numbers and every JSON
 * type in every field. The webhook route gets the same in every field of
 * Unipile's three body shapes, with the right Unipile-Auth secret, and
 * records every one of them but the too-deep ones (2xx). The
 * requests are the same on every run (enumerated values, seeded mixes). No
 * answer may be 5xx, every 4xx is the one error shape, and the projections
 * still keep up with the log afterwards.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { connectAccount, conversationOf, listMessages, type ConnectedAccount } from "../messaging/support";
import { createHarness, type Harness, TEST_WEBHOOK_SECRET } from "../support/harness";
import { JSON_VALUES, leafPaths, replaceAt, seeded } from "./fuzz-inputs";
import { type OpenApi, type Operation, operationsOf, type Probe, probesOf, type Schema, schemaValue } from "./fuzz-requests";

const WEBHOOK = "/api/unipile/webhook";
const CONCURRENCY = 8;

let h: Harness;
let account: ConnectedAccount;
let known: Record<string, unknown>;
let token: string;

beforeAll(async () => {
  h = await createHarness();
  account = await connectAccount(h);
  const incoming = await h.control<{ chat_id: string }>("POST", `/sandbox/accounts/${account.unipileAccountId}/incoming`, {
    from: "33698765432",
    text: "Bonjour",
    attachments: [{ file_name: "a.pdf", mimetype: "application/pdf", content_base64: Buffer.from("%PDF-1.4").toString("base64") }],
  });
  const conversation = await conversationOf(h, account.userId, incoming.chat_id);
  const [message] = (await listMessages(h, account.userId, conversation.id)).items;
  if (!message) throw new Error("the fixture message did not arrive");
  known = {
    accountId: account.accountId,
    chatId: conversation.id,
    attachmentId: message.attachments[0]?.id,
    streamId: `account:${account.unipileAccountId}`,
    content: "fuzz",
    conversationId: conversation.id,
    messageId: message.id,
  };
  token = await h.token(account.userId, { roles: ["auditor"] });
}, 30_000);
afterAll(() => h.close());

/** Path `id`s name what their path is about; other fields by name, else by schema. */
const validValues = (op: Operation, name: string, schema: Schema) => {
  if (name === "id") return op.path.startsWith("/api/messages") ? known.messageId : op.path.includes("conversations") ? known.conversationId : known.accountId;
  return schemaValue(known)(op, name, schema);
};

async function fixture(name: string): Promise<Record<string, unknown>> {
  return (await Bun.file(join(import.meta.dir, "../fixtures/unipile", name)).json()) as Record<string, unknown>;
}

/** Every leaf of Unipile's three body shapes, given every hostile JSON value. */
async function webhookProbes(): Promise<Probe[]> {
  const received = { ...(await fixture("message-received-whatsapp.json")), account_id: account.unipileAccountId };
  const shapes = { received, status: await fixture("account-status-credentials.json"), hosted: await fixture("hosted-auth-notify.json") };
  const probes: Probe[] = [];
  let n = 0;
  for (const [shape, body] of Object.entries(shapes)) {
    for (const path of leafPaths(body)) {
      for (const v of JSON_VALUES) {
        // A new message id each time, so each probe is a new fact and goes all the way through.
        const fresh = shape === "received" ? { ...body, message_id: `fuzz-${n++}` } : body;
        probes.push({
          label: `POST ${WEBHOOK} ${shape}.${path.join(".")}=${v.kind}`,
          method: "POST",
          target: WEBHOOK,
          headers: { "content-type": "application/json" },
          body: replaceAt(fresh, path, v.text),
          // Any valid JSON within the nesting bound is recorded: NUL and lone surrogates included.
          mustRecord: !v.kind.startsWith("deep-"),
        });
      }
    }
  }
  return probes;
}

interface Finding {
  label: string;
  status: number;
  body: string;
}

async function send(probe: Probe): Promise<{ status: number; finding: Finding | null }> {
  const headers = { authorization: `Bearer ${token}`, "unipile-auth": TEST_WEBHOOK_SECRET, ...probe.headers };
  const response = await fetch(`${h.url}${probe.target}`, { method: probe.method, headers, ...(probe.body === undefined ? {} : { body: probe.body }) });
  const finding = (why: string, body: string) => ({ label: `${probe.label}: ${why}`, status: response.status, body: body.slice(0, 300) });
  if (probe.mustRecord && response.status >= 300) return { status: response.status, finding: finding("not recorded", await response.text()) };
  if (response.status < 400) {
    await response.body?.cancel();
    return { status: response.status, finding: null };
  }
  const text = await response.text();
  if (response.status >= 500) return { status: response.status, finding: finding("5xx", text) };
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const shaped = typeof body.error === "string" && typeof body.code === "string" && typeof body.requestId === "string";
    return { status: response.status, finding: shaped ? null : finding("not the error shape", text) };
  } catch {
    return { status: response.status, finding: finding("not JSON", text) };
  }
}

async function runAll(probes: Probe[]) {
  const findings: Finding[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const probe = probes[next++] as Probe;
      const { status, finding } = await send(probe).catch((error: Error) => ({ status: 0, finding: { label: `${probe.label}: request failed`, status: 0, body: error.message } }));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (finding) findings.push(finding);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { findings, statuses };
}

test("no hostile input gets a 5xx; every 4xx is {error, code, requestId}", async () => {
  const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as OpenApi;
  const operations = operationsOf(doc);
  // The document is the app's own list of routes: every route the app serves is in it.
  expect(h.app.routes.filter((r) => r.method !== "ALL" && !operations.some((o) => o.method === r.method && o.path === r.path.replace(/:(\w+)/g, "{$1}")))).toEqual([]);
  const random = seeded(20250315);
  const probes = [...operations.flatMap((op) => probesOf(op, validValues, Object.keys(known), random)), ...(await webhookProbes())];
  const started = performance.now();
  const { findings, statuses } = await runAll(probes);
  console.log(`fuzz: ${probes.length} requests on ${operations.length} operations in ${Math.round(performance.now() - started)} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  expect(findings).toEqual([]);
  // Whatever was recorded, the projections still apply the log.
  expect(await h.deps.runner.catchUp(20_000)).toBe(true);
  expect((await fetch(`${h.url}/ready`)).status).toBe(200);
}, 180_000);
