import { test } from "node:test";
import assert from "node:assert/strict";
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
