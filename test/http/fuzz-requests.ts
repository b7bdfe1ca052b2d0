/**
 * The fuzz test's requests, built from the app's own OpenAPI document: every
 * documented operation, each of its path and query parameters and body
 * fields in turn given every hostile value while the others stay valid, whole
 * hostile bodies, header variants, and seeded random mixes.
 */
import { BODIES, HEADER_VARIANTS, JSON_VALUES, PARAM_VALUES, pick, STRINGS } from "./fuzz-inputs";

export type Schema = { type?: string | string[]; format?: string; minimum?: number; enum?: unknown[]; properties?: Record<string, Schema>; required?: string[] };

export interface Operation {
  method: string;
  /** OpenAPI path, `{name}` for path parameters. */
  path: string;
  params: { name: string; in: "path" | "query"; required: boolean; schema: Schema }[];
  /** Properties of a JSON object body, when the operation takes one. */
  body: { properties: Record<string, Schema>; required: string[] } | null;
}

export interface Probe {
  label: string;
  method: string;
  /** Path and query, already encoded. */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | FormData;
  /** Valid JSON within the limits: it must be recorded (2xx), never refused. */
  mustRecord?: boolean;
}

export interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Operation["params"]; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
}

export function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const schema = op.requestBody ? Object.values(op.requestBody.content)[0]?.schema : undefined;
      return {
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: schema ? { properties: schema.properties ?? {}, required: schema.required ?? [] } : null,
      };
    }),
  );
}

/** Known-good values: the fixture's ids by field name, else a value the schema accepts. */
export type ValidValues = (op: Operation, name: string, schema: Schema) => unknown;

function fallback(schema: Schema): unknown {
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.format === "uuid") return crypto.randomUUID();
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return false;
  if (type === "array") return [];
  return "x";
}

export const schemaValue = (known: Record<string, unknown>) => (_op: Operation, name: string, schema: Schema) => (name in known ? known[name] : fallback(schema));

/** Fills path parameters and required query parameters; `override` (encoded text) wins. */
function target(op: Operation, valid: ValidValues, override: Record<string, string> = {}): string {
  let path = op.path;
  const query: string[] = [];
  for (const p of op.params) {
    const text = override[p.name] ?? (p.required ? encodeURIComponent(String(valid(op, p.name, p.schema))) : undefined);
    if (p.in === "path") path = path.replace(`{${p.name}}`, text ?? "x");
    else if (text !== undefined) query.push(`${p.name}=${text}`);
  }
  return query.length ? `${path}?${query.join("&")}` : path;
}

/** The base body: required fields and the ones the fixture knows, valid. */
function baseBody(op: Operation, valid: ValidValues, knownNames: readonly string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(op.body?.properties ?? {})) {
    if (op.body?.required.includes(name) || knownNames.includes(name)) body[name] = valid(op, name, schema);
  }
  return body;
}

/** The body as JSON text with some fields replaced by raw JSON text. */
function withRaw(body: Record<string, unknown>, raws: Record<string, string>): string {
  const marked = { ...body, ...Object.fromEntries(Object.keys(raws).map((name) => [name, `__FUZZ_${name}__`])) };
  return Object.entries(raws).reduce((text, [name, raw]) => text.replace(JSON.stringify(`__FUZZ_${name}__`), () => raw), JSON.stringify(marked));
}
const json = { "content-type": "application/json" };

/** Every probe of one operation. A DELETE never gets the fixture's ids, so it never deletes the fixture. */
export function probesOf(op: Operation, valid: ValidValues, knownNames: readonly string[], random: () => number): Probe[] {
  const probes: Probe[] = [];
  const label = (what: string) => `${op.method} ${op.path} ${what}`;
  const base = baseBody(op, valid, knownNames);
  const hasBody = op.method !== "GET" && op.method !== "DELETE";
  const baseInit = () => (op.body ? { headers: { ...json }, body: JSON.stringify(base) } : { headers: {} });

  for (const p of op.params) {
    for (const v of PARAM_VALUES) probes.push({ label: label(`${p.in}.${p.name}=${v.kind}`), method: op.method, target: target(op, valid, { [p.name]: v.text }), ...baseInit() });
  }
  for (const [name] of Object.entries(op.body?.properties ?? {})) {
    for (const v of JSON_VALUES) probes.push({ label: label(`body.${name}=${v.kind}`), method: op.method, target: target(op, valid), headers: { ...json }, body: withRaw(base, { [name]: v.text }) });
    for (const [kind, text] of STRINGS) probes.push({ label: label(`multipart.${name}=${kind}`), method: op.method, target: target(op, valid), headers: {}, body: form({ ...base, [name]: text }) });
  }
  if (hasBody) {
    for (const b of BODIES) probes.push({ label: label(b.kind), method: op.method, target: target(op, valid), headers: { ...json }, body: b.body });
    probes.push({ label: label("multipart-attachments-as-text"), method: op.method, target: target(op, valid), headers: {}, body: form({ ...base, attachments: "not a file" }) });
  }
  const safeTarget = op.method === "DELETE" ? target(op, schemaValue({})) : target(op, valid);
  for (const v of HEADER_VARIANTS) {
    const init = baseInit();
    probes.push({ label: label(`header ${v.kind}`), method: op.method, target: safeTarget, headers: { ...init.headers, ...v.headers }, ...("body" in init ? { body: init.body } : {}) });
  }
  probes.push(...mixes(op, valid, base, random, label));
  return probes;
}

/** Seeded mixes: each field kept as in the base request or made hostile, at least one hostile. */
function mixes(op: Operation, valid: ValidValues, base: Record<string, unknown>, random: () => number, label: (what: string) => string): Probe[] {
  const fields = [...op.params.map((p) => ({ kind: "param" as const, name: p.name })), ...Object.keys(op.body?.properties ?? {}).map((name) => ({ kind: "body" as const, name }))];
  if (fields.length === 0) return [];
  const probes: Probe[] = [];
  for (let i = 0; i < 15; i++) {
    const forced = pick(random, fields).name;
    const override: Record<string, string> = {};
    const body: Record<string, string> = {};
    const names: string[] = [];
    for (const f of fields) {
      if (f.name !== forced && random() < 0.5) continue;
      if (f.kind === "param") override[f.name] = pick(random, PARAM_VALUES).text;
      else body[f.name] = pick(random, JSON_VALUES.filter((v) => !v.kind.startsWith("deep"))).text;
      names.push(f.name);
    }
    const target_ = target(op, op.method === "DELETE" ? schemaValue({}) : valid, override);
    probes.push({ label: label(`mix ${i} (${names.join(", ")})`), method: op.method, target: target_, headers: op.body ? { ...json } : {}, ...(op.body ? { body: withRaw(base, body) } : {}) });
  }
  return probes;
}

function form(fields: Record<string, unknown>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) data.append(name, typeof v === "string" ? v : JSON.stringify(v));
  }
  return data;
}
