/**
 * lib/scripts/bench-official.mjs refuses bad arguments before timing anything: exit status 2 and a message naming
 * the condition. (The timing itself needs PyTorch and the official checkout; README, Performance, shows a run.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const script = join(__dirname, "..", "..", "..", "lib", "scripts", "bench-official.mjs");

function run(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

test("bench-official: bad arguments exit 2 with the violated condition", () => {
  const fake = mkdtempSync(join(tmpdir(), "bench-official-test-"));
  try {
    writeFileSync(join(fake, "run_exp.py"), "");
    const cases: Array<[string[], RegExp]> = [
      [[], /--official PATH .* is required/],
      [["--official", join(fake, "missing")], /has no run_exp\.py/],
      [["--official", fake, "--reps", "0"], /--reps must be a positive integer/],
      [["--official", fake, "--only", "fnn,cnn"], /--only takes names from fnn, tfn, tfn-test64, got cnn/],
      [["--official", fake, "--torch-threads", "default,two"], /--torch-threads takes "default" or positive integers, got two/],
      [["--official", fake, "--bogus"], /unknown argument --bogus/],
    ];
    for (const [args, message] of cases) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: status ${r.status}, stderr ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  } finally {
    rmSync(fake, { recursive: true, force: true });
  }
});
