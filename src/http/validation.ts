/**
 * @module http/validation
 * `validate(target, schema)`: `@hono/zod-validator` with our error shape. A
 * JSON body must also say it is JSON (415 otherwise) and parse (400).
 */
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError, describeIssues } from "./errors";

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  const validator = zValidator(target, schema, (result) => {
    if (!result.success) {
      throw new ApiError("VALIDATION_FAILED", `The request ${targetName(target)} is invalid.`, describeIssues(result.error.issues));
    }
  });
  if (target !== "json") return validator;
  const jsonGuard: MiddlewareHandler = async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!JSON_TYPE.test(type)) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "The request body must be JSON (Content-Type: application/json).");
    }
    return validator(c, next);
  };
  return jsonGuard as typeof validator;
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

/**
 * Like `validate("json", schema)` for a body that may be left out: an empty
 * body validates as `{}`; a present one must be JSON.
 */
export function validateOptionalJson<Schema extends z.ZodType>(schema: Schema) {
  const validator = validate("json", schema);
  const optional: MiddlewareHandler = async (c, next) => {
    const text = await c.req.raw.clone().text();
    if (text.trim() === "") {
      const parsed = schema.safeParse({});
      if (!parsed.success) throw new ApiError("VALIDATION_FAILED", "The request body is required.", describeIssues(parsed.error.issues));
      c.req.addValidatedData("json", parsed.data as object);
      return next();
    }
    return validator(c, next);
  };
  return optional as typeof validator;
}
