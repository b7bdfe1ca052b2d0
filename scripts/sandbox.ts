/**
 * `bun run sandbox`: runs the Unipile sandbox alone on SANDBOX_PORT (default
 * 13111). API key: UNIPILE_ACCESS_TOKEN, else SANDBOX_ACCESS_TOKEN, else a
 * fixed development default printed at start-up.
 */
import { loadConfig } from "../src/config";
import { answerHelp } from "../src/platform/help";
import { startSandbox } from "../src/sandbox";

const DEFAULT_TOKEN = "sandbox-access-token";

answerHelp(`usage: bun run sandbox

Runs the Unipile sandbox alone on SANDBOX_PORT (13111), in memory. X-API-KEY:
UNIPILE_ACCESS_TOKEN, else SANDBOX_ACCESS_TOKEN, else ${DEFAULT_TOKEN}.
The emulated API is under /api/v1, the controls under /sandbox (see the README).`);

const config = loadConfig(process.env);
const accessToken = config.unipile.accessToken ?? config.sandbox.accessToken ?? DEFAULT_TOKEN;
const running = await startSandbox({ port: config.sandbox.port, accessToken });

console.log(`Unipile sandbox listening on ${running.url} (API under ${running.url}/api/v1, controls under ${running.url}/sandbox)`);
if (accessToken === DEFAULT_TOKEN) console.log(`X-API-KEY: ${DEFAULT_TOKEN} (set UNIPILE_ACCESS_TOKEN or SANDBOX_ACCESS_TOKEN to choose one)`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping the sandbox`);
  await running.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
