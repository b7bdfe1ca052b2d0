/**
 * @module platform/help
 * `--help` (or `-h`) for the service and every script: prints the usage on
 * stdout and exits 0 before anything starts.
 */
export function answerHelp(usage: string, args: readonly string[] = process.argv.slice(2)): void {
  if (!args.some((a) => a === "--help" || a === "-h")) return;
  console.log(usage.trim());
  process.exit(0);
}
