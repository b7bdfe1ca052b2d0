/**
 * @module sandbox/request
 * Request parsing shared by the routes: JSON bodies checked with zod and
 * answered with Unipile's 400 shape, query strings, multipart fields.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { errorBody, invalidParameters, SandboxApiError } from "./errors";

/** Parses a JSON body against `schema`; 400 `invalid_parameters` listing the problems. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new SandboxApiError(errorBody(400, "errors/malformed_request", "The body is not valid JSON."));
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw invalidParameters(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

/** A multipart body as fields and files; 400 when it is not multipart. */
export async function multipartBody(c: Context): Promise<FormData> {
  try {
    return await c.req.formData();
  } catch {
    throw new SandboxApiError(errorBody(400, "errors/malformed_request", "Expected a multipart/form-data body."));
  }
}

export const formString = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
};

export const formFiles = (form: FormData, name: string): File[] =>
  form.getAll(name).filter((v): v is File => typeof v !== "string");

export const queryOf = (c: Context): Record<string, string | undefined> => c.req.query();
