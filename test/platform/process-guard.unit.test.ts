import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { createLogger } from "../../src/logger";
import { guardProcess } from "../../src/platform/process-guard";

/** A stand-in for `process` (its two error events), a captured log and the exits asked for. */
function guarded() {
  const events = new EventEmitter();
  const lines: { level: number; msg: string; err?: { stack?: string }; database?: unknown }[] = [];
  const logger = createLogger({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const exits: string[] = [];
  guardProcess(events, logger, (reason) => exits.push(reason));
  return { events, lines, exits };
}

describe("errors no caller caught", () => {
  test("given an unhandled rejection, then it is logged with its stack and the service serves on", () => {
    const { events, lines, exits } = guarded();

    events.emit("unhandledRejection", new Error("nobody awaited this"));

    expect(exits).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(50);
    expect(lines[0]?.msg).toBe("unhandled rejection; serving on");
    expect(lines[0]?.err?.stack).toContain("nobody awaited this");
  });

  test("given an uncaught exception that is not the database's, then it is logged fatal with its stack and the service stops", () => {
    const { events, lines, exits } = guarded();

    events.emit("uncaughtException", new TypeError("null is not an object (evaluating 'socket.write')"));

    expect(exits).toEqual(["uncaught exception"]);
    expect(lines[0]?.level).toBe(60);
    expect(lines[0]?.err?.stack).toContain("TypeError");
  });

  test("given an uncaught database connection error, then it is logged and the service serves on", () => {
    const { events, lines, exits } = guarded();

    events.emit("uncaughtException", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    events.emit("unhandledRejection", Object.assign(new Error("write CONNECTION_CLOSED"), { code: "CONNECTION_CLOSED" }));

    expect(exits).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual(["uncaught database connection error; serving on", "unhandled rejection: the database is unavailable; serving on"]);
    expect(lines[0]?.err?.stack).toContain("ECONNRESET");
    expect(lines[1]?.database).toEqual({ code: "CONNECTION_CLOSED", message: "write CONNECTION_CLOSED" });
  });
});
