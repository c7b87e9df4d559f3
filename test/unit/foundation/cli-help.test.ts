import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Matrix } from "ml-matrix";
import { helpText, main } from "../../../lib/src/experiments/cli";
import { DEFAULT_CONFIG, parseArgs } from "../../../lib/src/experiments/config";
import { binaryAgreement } from "../../../lib/src/models/metrics";

test("--help lists every reference flag with its default", async () => {
  const lines: string[] = [];
  assert.equal(await main(["--help"], (l) => lines.push(l)), 0);
  assert.deepEqual(lines, helpText());
  for (const flag of Object.keys(DEFAULT_CONFIG).filter((f) => f !== "json")) {
    assert.ok(lines.some((l) => l.startsWith(`  --${flag} `)), `--${flag} is documented`);
  }
});

test("the binary task parses and scores the two halves of the output", () => {
  assert.equal(parseArgs(["--task", "binary"]).task, "binary");
  // columns: target picks half 2, 1; prediction picks half 2, 2
  const Y = new Matrix([[0, 3], [0, 3], [1, 0], [1, 0]]);
  const Yhat = new Matrix([[0, 0], [0, 0], [2, 1], [2, 1]]);
  assert.equal(binaryAgreement(Y, Yhat), 0.5);
  assert.equal(binaryAgreement(Y, Y), 1);
});

test("--json output piped to another program is complete even when it is large (no truncation at exit)", () => {
  // Through a shell pipe, as a user would (`lora-exp ... --json | jq`): an exit before the pipe drains cut it at 64 KiB.
  const cmd = `"${process.execPath}" lib/dist/experiments/cli.js --width 4 --rank 2 --method sgd --n_epochs 8000 --batch_size 16 --n_test 100 --json | cat`;
  const r = spawnSync("sh", ["-c", cmd], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length > 65536, `output is ${r.stdout.length} bytes: large enough to have been cut by an early exit`);
  const parsed = JSON.parse(r.stdout);
  assert.equal(parsed.train_loss_history.length, 8000);
});
