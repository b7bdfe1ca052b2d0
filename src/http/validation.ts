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
