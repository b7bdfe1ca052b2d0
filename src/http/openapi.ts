/**
 * @module http/openapi
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate
 * the routes (zod 4's JSON Schema output). Each route module adds an
 * `Operation` beside its route; a test checks that every route has one.
 */
import { z } from "zod";
import { ErrorBodySchema } from "./errors";

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Hono path (`/api/items/:id`); written as `{id}` in the document. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** `true`: bearer JWT; a role name: bearer JWT with that role. @default true */
  auth?: boolean | string;
  query?: z.ZodObject;
  params?: z.ZodObject;
  body?: z.ZodType;
  /** @default "application/json" */
  bodyContentType?: string;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  delete json.$schema;
  return json;
};

export class ApiDocs {
  readonly operations: Operation[] = [];

  add(operation: Operation): void {
    this.operations.push(operation);
  }

  /** Whether a Hono route (method, path) is documented. */
  has(method: string, path: string): boolean {
    return this.operations.some((o) => o.method === method.toLowerCase() && o.path === path);
  }

  document(info: { title: string; version: string; description?: string }) {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.operations) {
      const path = op.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      paths[path] ??= {};
      paths[path][op.method] = this.operation(op);
    }
    return {
      openapi: "3.1.0",
      info,
      paths,
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
        schemas: { Error: toSchema(ErrorBodySchema, "output") },
      },
    };
  }

  private operation(op: Operation) {
    const parameters = [
      ...parametersOf(op.params, "path"),
      ...parametersOf(op.query, "query"),
    ];
    const auth = op.auth ?? true;
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.schema
          ? { content: { [response.contentType ?? "application/json"]: { schema: toSchema(response.schema, "output") } } }
          : {}),
      };
    }
    responses.default = {
      description: "Error",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
    return {
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.tags ? { tags: op.tags } : {}),
      ...(auth ? { security: [{ bearer: [] }] } : { security: [] }),
      ...(typeof auth === "string" ? { "x-required-role": auth } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? { requestBody: { required: true, content: { [op.bodyContentType ?? "application/json"]: { schema: toSchema(op.body, "input") } } } }
        : {}),
      responses,
    };
  }
}

function parametersOf(schema: z.ZodObject | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    ...(typeof property.description === "string" ? { description: property.description } : {}),
    schema: property,
  }));
}
