/**
 * The contract as a client generator sees it: /openapi.json passes
 * @apidevtools/swagger-parser's validation (every $ref resolves, OpenAPI 3.1
 * schema), names its reusable schemas under components, and declares what
 * the routes take (Idempotency-Key, Last-Event-ID, the multipart send, the
 * two security schemes). Every route the app serves is in it (see also
 * platform.int.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { TAGS } from "../../src/http/docs";
import { createHarness, type Harness } from "../support/harness";

type Operation = {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
};
type Doc = {
  openapi: string;
  servers: { url: string; description?: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> };
};

let h: Harness;
let doc: Doc;
beforeAll(async () => {
  h = await createHarness({ PUBLIC_URL: "https://commsync-unipile.example/" }, { startRunner: false });
  doc = (await (await h.request("/openapi.json")).json()) as Doc;
});
afterAll(() => h.close());

const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

describe("/openapi.json", () => {
  test("is a valid OpenAPI 3.1 document: swagger-parser validates it and resolves every $ref", async () => {
    expect(doc.openapi).toBe("3.1.0");
    // validate() dereferences: a $ref pointing nowhere fails here.
    await SwaggerParser.validate(structuredClone(doc) as never);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((ref) => !ref.startsWith("#/components/schemas/"))).toEqual([]);
  });

  test("a broken reference is caught by the same check", async () => {
    const broken = structuredClone(doc);
    (broken.paths["/api/me"] as Record<string, Operation>).get!.responses["200"] = { description: "x", content: { "application/json": { schema: { $ref: "#/$defs/Nowhere" } } } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  test("names reusable schemas, an operationId per route, tags in a newcomer's order, servers from PUBLIC_URL", () => {
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["Account", "Connection", "Conversation", "Message", "SendBody", "SendForm", "SendResult", "Error", "AuditEvent", "Subscription"]));
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.tags.map((t) => t.name)).toEqual(TAGS.map((t) => t.name));
    expect(doc.tags.map((t) => t.name).slice(0, 6)).toEqual(["accounts", "messages", "conversations", "live", "sync", "webhooks"]);
    expect(operations().filter(({ op }) => !op.tags?.every((t) => TAGS.some((known) => known.name === t)))).toEqual([]);
    expect(doc.servers).toEqual([{ url: "https://commsync-unipile.example", description: "PUBLIC_URL" }]);
  });

  test("the event stream's description names every event it sends, import progress included", () => {
    const stream = doc.paths["/api/events/stream"]?.get as Operation & { description?: string };
    for (const event of ["ready", "message", "conversation", "account", "conversations"]) expect(stream.description).toContain(`\`${event}\`:`);
    for (const word of ["AccountBackfillProgressed", "progress {", "ConversationsChanged", "refetch"]) expect(stream.description).toContain(word.replace("AccountBackfillProgressed", "Progressed"));
  });

  test("declares the bearer and Unipile-Auth schemes, and which routes need them", () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.unipileAuth).toMatchObject({ type: "apiKey", in: "header", name: "Unipile-Auth" });
    expect(doc.paths["/api/unipile/webhook"]?.post?.security).toEqual([{ unipileAuth: [] }]);
    expect(doc.paths["/health"]?.get?.security).toEqual([]);
    expect(doc.paths["/api/audit/events"]?.get).toMatchObject({ security: [{ bearer: [] }], "x-required-role": "auditor" });
    const api = operations().filter(({ path }) => path.startsWith("/api/") && path !== "/api/unipile/webhook");
    expect(api.filter(({ op }) => JSON.stringify(op.security) !== JSON.stringify([{ bearer: [] }])).map(({ path }) => path)).toEqual([]);
  });

  test("the send: JSON or multipart with files, Idempotency-Key; the stream: Last-Event-ID; optional bodies are optional", () => {
    const send = doc.paths["/api/unipile/message"]?.post as Operation;
    expect(Object.keys(send.requestBody?.content ?? {})).toEqual(["application/json", "multipart/form-data"]);
    expect(JSON.stringify(send.requestBody?.content["multipart/form-data"])).toContain("SendForm");
    expect(JSON.stringify(doc.components.schemas.SendForm)).toContain('"format":"binary"');
    expect(send.parameters).toContainEqual(expect.objectContaining({ name: "idempotency-key", in: "header", required: false }));
    expect(doc.paths["/api/events/stream"]?.get?.parameters).toContainEqual(expect.objectContaining({ name: "last-event-id", in: "header" }));
    expect(doc.paths["/api/unipile/connect-whatsapp"]?.post?.requestBody?.required).toBe(false);
    expect(doc.paths["/api/unipile/sync"]?.post?.requestBody?.required).toBe(false);
    expect(doc.paths["/api/subscriptions"]?.post?.requestBody?.required).toBe(true);
  });

  test("answers carry examples recorded from the service against the sandbox, valid for their schemas", async () => {
    const { AccountSchema } = await import("../../src/accounts/views");
    const { EXAMPLES } = await import("../../src/http/examples");
    const example = (path: string, method: string) => (doc.paths[path]?.[method]?.responses["200"] as { content: Record<string, { example?: unknown }> }).content["application/json"]?.example;
    expect(example("/api/unipile/check-status", "get")).toEqual(EXAMPLES.account);
    expect(AccountSchema.safeParse(EXAMPLES.account).success).toBe(true);
    expect(example("/api/unipile/message", "post")).toMatchObject({ success: true, replayed: false });
    expect(example("/api/conversations", "get")).toMatchObject({ items: [expect.objectContaining({ id: expect.any(String) })] });
  });

  test("every route the app serves is in it, and nothing else", () => {
    const served = new Set(
      h.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`),
    );
    const documented = new Set(operations().map(({ path, method }) => `${method} ${path}`));
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });
});
