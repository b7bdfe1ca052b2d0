/**
 * @module http/docs-page
 * `GET /docs`: the OpenAPI document rendered as one self-contained HTML page
 * (no scripts or assets from elsewhere).
 */
type Doc = { info: { title: string; version: string; description?: string }; paths: Record<string, Record<string, unknown>> };

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);

export function renderDocsPage(doc: Doc): string {
  const sections = Object.entries(doc.paths)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, raw]) => {
        const op = raw as {
          summary?: string;
          description?: string;
          security?: unknown[];
          "x-required-role"?: string;
          parameters?: { name: string; in: string; required: boolean; description?: string }[];
          requestBody?: { content: Record<string, { schema: unknown }> };
          responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
        };
        const auth = op.security?.length ? (op["x-required-role"] ? `JWT, role ${op["x-required-role"]}` : "JWT") : "none";
        const params = (op.parameters ?? [])
          .map((p) => `<li><code>${escape(p.name)}</code> (${p.in}${p.required ? ", required" : ""})${p.description ? ` — ${escape(p.description)}` : ""}</li>`)
          .join("");
        const body = op.requestBody
          ? Object.entries(op.requestBody.content)
              .map(([type, c]) => `<p>Body <code>${escape(type)}</code></p><pre>${escape(JSON.stringify(c.schema, null, 2))}</pre>`)
              .join("")
          : "";
        const responses = Object.entries(op.responses)
          .map(([status, r]) => {
            const schema = r.content ? Object.values(r.content)[0]?.schema : undefined;
            return `<li><b>${escape(status)}</b> ${escape(r.description)}${schema && status !== "default" ? `<pre>${escape(JSON.stringify(schema, null, 2))}</pre>` : ""}</li>`;
          })
          .join("");
        return `<section><h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h2>
<p>${escape(op.summary ?? "")}</p>${op.description ? `<p>${escape(op.description)}</p>` : ""}
<p>Auth: ${auth}</p>${params ? `<p>Parameters</p><ul>${params}</ul>` : ""}${body}<p>Responses</p><ul>${responses}</ul></section>`;
      }),
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:12px}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:13px;padding:0 .3em}
.get{background:#2b7bb9}.post{background:#2f9e44}.delete{background:#c92a2a}.patch,.put{background:#e67700}h2{font-size:17px}</style>
</head><body><h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description ?? "")}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
${sections}</body></html>`;
}
