// Prints the plain closing line CI reads ("N passed, N failed") from bun's JUnit
// report. A run that failed before or outside the tests (type check, crash)
// counts as one failure, so a red run never reads as green.
import { existsSync, readFileSync } from "node:fs";

const [file, statusArg] = process.argv.slice(2);
const status = Number(statusArg ?? "1");
let passed = 0;
let failed = 0;
let skipped = 0;

if (file && existsSync(file)) {
  const xml = readFileSync(file, "utf8");
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
