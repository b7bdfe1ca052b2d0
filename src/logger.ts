/**
 * @module logger
 * One pino root logger. Secrets never reach the output: authorization headers,
 * tokens, passwords and webhook secrets are redacted wherever they appear.
 */
import pino from "pino";
import type { Logger } from "pino";
import { prettyFactory } from "pino-pretty";

export type { Logger };

export const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["unipile-auth"]',
  '*.headers["unipile-auth"]',
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "webhookSecret",
  "*.webhookSecret",
  "databaseUrl",
  "*.databaseUrl",
];

/**
 * Creates the root logger; `destination` lets tests capture the output. `pretty`: human-readable lines
 * (pino-pretty, in the process) instead of JSON, for a developer's terminal (see `logFormat`).
 */
export function createLogger(options: { level: string; pretty?: boolean }, destination?: pino.DestinationStream): Logger {
  let out = destination;
  if (options.pretty) {
    const prettify = prettyFactory({ colorize: destination === undefined && process.stdout.isTTY === true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" });
    const target = destination ?? pino.destination({ dest: 1, sync: true });
    out = { write: (line: string) => void target.write(prettify(line)) };
  }
  return pino(
    {
      level: options.level,
      base: { service: "commsync-unipile" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    out,
  );
}

/**
 * Human-readable logs or JSON: LOG_FORMAT `pretty` or `json`; `auto` (the default) is pretty in
 * development on a terminal, JSON otherwise (pipes, files, log collectors, production).
 */
export function logFormat(setting: "auto" | "json" | "pretty", env: string, stdoutIsTty: boolean): "json" | "pretty" {
  if (setting !== "auto") return setting;
  return env === "development" && stdoutIsTty ? "pretty" : "json";
}

/** Hides the password of a connection string for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "[unparseable url]";
  }
}
