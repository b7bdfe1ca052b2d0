/**
 * queries: sequential GETs (scripts/bench/load.ts queries) of the
 * conversation list (first page, deep cursor) and the big conversation's
 * messages (first page, deep cursor).
 */
import { step } from "../report";
import type { Bench } from "../setup";
import type { FilledLog } from "./replay";

interface Summary {
  p50: number;
  p99: number;
  count: number;
}

interface Queries {
  walkSeconds: number;
  conversationsFirst: Summary;
  conversationsDeep: Summary;
  messagesFirst: Summary;
  messagesDeep: Summary;
}

export async function queries(bench: Bench, log: FilledLog) {
  const { report, options } = bench;
  const { size } = options;
  step("queries");
  const cpu = report.cpuMeter(bench.roots());
  const tool = await bench.processes.runTool<Queries>("load-queries", [
    "scripts/bench/load.ts", "queries", bench.worldFile,
    "--requests", String(size("query-requests")), "--max-seconds", String(size("query-seconds")), "--deep", String(size("deep")), `--big-chat=${log.bigChatId}`, "--message-deep", String(size("message-deep")),
  ]);
  const q = tool.result;
  cpu("queries (warm-ups included)", { load: tool.cpuSeconds });
  const conversations = size("conversations") + size("chats");
  const lists: [string, Summary, string][] = [
    ["conversations_first", q.conversationsFirst, `GET /api/conversations (50 of ${conversations} conversations)`],
    ["conversations_deep", q.conversationsDeep, `the same after a cursor ${size("deep")} rows deep (made with encodeCursor from the row at that depth)`],
    ["messages_first", q.messagesFirst, `GET /api/conversations/:id/messages of a ${log.bigMessages}-message conversation`],
    ["messages_deep", q.messagesDeep, `the same after a cursor ${size("message-deep")} messages deep`],
  ];
  for (const [name, s, note] of lists) {
    report.add(`queries.${name}.p50_ms`, s.p50, "ms", { note: `${note}; ${s.count} sequential requests (at most ${size("query-requests")} or ${size("query-seconds")} s)` });
    report.add(`queries.${name}.p99_ms`, s.p99, "ms");
  }
  bench.memory.phasePeak("queries");
}
