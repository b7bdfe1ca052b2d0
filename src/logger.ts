/**
 * @module logger
 * One pino root logger. Secrets never reach the output: authorization headers,
 * tokens, passwords and webhook secrets are redacted wherever they appear.
 */
import pino from "pino";
import type { Logger } from "pino";

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

/** Creates the root logger; `destination` lets tests capture the output. */
export function createLogger(options: { level: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { service: "commsync-unipile" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
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
