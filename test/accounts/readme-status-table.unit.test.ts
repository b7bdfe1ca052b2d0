import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UNIPILE_STATUS_TABLE } from "../../src/accounts/status-mapping";

test("the README's account status table says what the mapping does", () => {
  const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
  const rows = readme.split("\n").filter((line) => line.startsWith("| ") && line.includes("`"));
  for (const [word, status] of UNIPILE_STATUS_TABLE) {
    const row = rows.find((line) => line.includes(`\`${word}\``) && line.split("|").length === 4);
    expect(row, `README row for ${word}`).toBeDefined();
    expect(row?.split("|")[2]).toContain(`\`${status}\``);
  }
});
