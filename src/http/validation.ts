/**
 * @module http/validation
 * Request validation with our error shape. Declared routes (`app.openapi`)
 * validate through `validationHook`, with `jsonBodyGate` in front of a
 * JSON body. `validate(target, schema)` is the same for a plain Hono route:
 * path, query and header targets go through `@hono/zod-validator`; a JSON body must
 * say it is JSON (415 otherwise) and is read by http/json-body, which bounds
 * its nesting before parsing it (400 `JSON_TOO_DEEP`, `MALFORMED_JSON`).
 */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./app-env";
import { ApiError, describeIssues } from "./errors";
import { jsonMaxDepth, parseJsonText } from "./json-body";

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

function zodValidator<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      throw new ApiError("VALIDATION_FAILED", `The request ${targetName(target)} is invalid.`, describeIssues(result.error.issues));
    }
  });
}

type Validator<Target extends keyof ValidationTargets, Schema extends z.ZodType> = ReturnType<typeof zodValidator<Target, Schema>>;

export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema): Validator<Target, Schema> {
  if (target !== "json") return zodValidator(target, schema);
  return jsonBody(schema, false) as unknown as Validator<Target, Schema>;
}

function targetName(target: keyof ValidationTargets): string {
  switch (target) {
    case "json":
    case "form":
      return "body";
    case "param":
      return "path";
    default:
      return target;
  }
}

function jsonBody(schema: z.ZodType, optional: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const isJson = JSON_TYPE.test(c.req.header("content-type") ?? "");
    if (!optional && !isJson) throw notJson();
    const text = await c.req.text();
    const empty = optional && text.trim() === "";
    if (!empty && !isJson) throw notJson();
    const parsed = await schema.safeParseAsync(empty ? {} : parseJsonText(text, jsonMaxDepth(c)));
    if (!parsed.success) {
      throw new ApiError("VALIDATION_FAILED", empty ? "The request body is required." : "The request body is invalid.", describeIssues(parsed.error.issues));
    }
    c.req.addValidatedData("json", parsed.data as object);
    await next();
  };
}

const notJson = () => new ApiError("UNSUPPORTED_MEDIA_TYPE", "The request body must be JSON (Content-Type: application/json).");

/**
 * The validation hook of every `app.openapi` route: a failed params, query,
 * header or body check answers 400 VALIDATION_FAILED with `details`, as
 * `validate` does.
 */
export function validationHook(result: { target: keyof ValidationTargets; success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }): undefined {
  if (result.success || !result.error) return undefined;
  throw new ApiError("VALIDATION_FAILED", `The request ${targetName(result.target)} is invalid.`, describeIssues(result.error.issues));
}

/**
 * Route middleware in front of a declared JSON body: the body must say it is
 * JSON (415 otherwise), its nesting is bounded before it is parsed (400
 * `JSON_TOO_DEEP`, `MALFORMED_JSON`), and the parsed value is what the
 * route's schema then validates. An optional body may be left out: it
 * validates as `{}`.
 */
export function jsonBodyGate(options: { optional: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const isJson = JSON_TYPE.test(c.req.header("content-type") ?? "");
    if (!options.optional && !isJson) throw notJson();
    const text = await c.req.text();
    const empty = options.optional && text.trim() === "";
    if (!empty && !isJson) throw notJson();
    if (empty) {
      // The library's validator then reads `{}`.
      if (!isJson) c.req.raw.headers.set("content-type", "application/json");
      // (Hono keeps promises in its body cache, though its type says values.)
      c.req.bodyCache.text = Promise.resolve("{}") as unknown as string;
    } else {
      parseJsonText(text, jsonMaxDepth(c));
    }
    await next();
  };
}
