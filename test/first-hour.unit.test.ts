/**
 * The first hour: human-readable logs on a developer's terminal (JSON
 * otherwise), and a development service listening on loopback only.
 */
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config";
import { createLogger, logFormat } from "../src/logger";

describe("log format", () => {
  test("auto: pretty in development on a terminal, JSON in a pipe, in tests and in production", () => {
    expect(logFormat("auto", "development", true)).toBe("pretty");
    expect(logFormat("auto", "development", false)).toBe("json");
    expect(logFormat("auto", "production", true)).toBe("json");
    expect(logFormat("auto", "test", true)).toBe("json");
    expect(logFormat("json", "development", true)).toBe("json");
    expect(logFormat("pretty", "production", false)).toBe("pretty");
  });

  test("pretty lines are human-readable, and secrets are still redacted", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", pretty: true }, { write: (line: string) => void lines.push(line) });
    logger.info({ url: "http://127.0.0.1:3000", token: "eyJhbGciOiJIUzI1NiJ9.secret" }, "commsync-unipile listening");
    const text = lines.join("");
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: commsync-unipile listening/);
    expect(text).toContain('url: "http://127.0.0.1:3000"');
    expect(text).not.toContain("eyJhbGciOiJIUzI1NiJ9");
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe("HOST", () => {
  const base = { NODE_ENV: "development" };
  test("development listens on 127.0.0.1 by default (it prints a 30-day token); elsewhere on every interface", () => {
    expect(loadConfig(base).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "test" }).host).toBe("0.0.0.0");
    expect(loadConfig({ ...base, HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
  });
});
