/**
 * Placeholder replaced below.
 */
import type { ApiClient } from "../api-client";

export function AuditPage(_props: { client: ApiClient }) {
  return <section className="page"><h1>Audit</h1></section>;
}
