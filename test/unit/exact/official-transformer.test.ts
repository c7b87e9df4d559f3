// Theorem 7's construction is the official one: on the official code's own random models (seed 0, L = 2,
// R = 4, below the threshold, so the Lemma 1 truncation, the calibration C_2 and the output pair all matter),
// `constructTransformer` gives the adapted weights the official `adapt_ours` gives, run in float64.
// The fixture comes from lib/scripts/official/tfn-construction.py (data/results/README.md).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Matrix } from "ml-matrix";
import { constructTransformer } from "../../../lib/src/construct/transformer";
import { toMatrix } from "../../../lib/src/linalg/matrix";
import type { Transformer } from "../../../lib/src/models/types";

interface TransformerJson {
  width: number;
  Wo: number[][];
  blocks: Array<{ heads: Array<Record<"WQ" | "WK" | "WV" | "WO", number[][]>>; W1: number[][]; b1: number[]; W2: number[][]; b2: number[] }>;
}

function transformer(j: TransformerJson): Transformer {
  return {
    kind: "transformer",
    width: j.width,
    Wo: toMatrix(j.Wo),
    blocks: j.blocks.map((b) => ({
      heads: b.heads.map((h) => ({ WQ: toMatrix(h.WQ), WK: toMatrix(h.WK), WV: toMatrix(h.WV), WO: toMatrix(h.WO) })),
      W1: toMatrix(b.W1), b1: b.b1, W2: toMatrix(b.W2), b2: b.b2,
    })),
  };
}

function parameters(m: Transformer): Array<[string, number[]]> {
  const flat = (M: Matrix) => M.to1DArray();
  const out: Array<[string, number[]]> = [["W_o", flat(m.Wo)]];
  m.blocks.forEach((b, l) => {
    b.heads.forEach((h, i) => (["WQ", "WK", "WV", "WO"] as const).forEach((k) => out.push([`block ${l + 1} head ${i + 1} ${k}`, flat(h[k])])));
    out.push([`block ${l + 1} W_1`, flat(b.W1)], [`block ${l + 1} b_1`, b.b1], [`block ${l + 1} W_2`, flat(b.W2)], [`block ${l + 1} b_2`, b.b2]);
  });
  return out;
}

/** Relative Frobenius difference of every parameter of `a` from the same parameter of `b`. */
function differences(a: Transformer, b: Transformer): Map<string, number> {
  const pb = new Map(parameters(b));
  return new Map(parameters(a).map(([name, x]) => {
    const y = pb.get(name)!;
    const d = Math.hypot(...x.map((v, i) => v - y[i]));
    return [name, d / Math.hypot(...y)];
  }));
}

const fixture = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "data", "results", "official-tfn-seed0-L2-R4.json"), "utf8")) as {
  rank: number; depth: number; target: TransformerJson; frozen: TransformerJson; adapted: TransformerJson;
};

test("Theorem 7 construction = the official adapt_ours on the official models (seed 0, L = 2, R = 4, float64)", () => {
  assert.equal(fixture.rank, 4);
  assert.equal(fixture.depth, 2);
  const target = transformer(fixture.target), frozen = transformer(fixture.frozen), official = transformer(fixture.adapted);
  const ours = constructTransformer(frozen, target, fixture.rank, { verify: false }).adapted;
  const diff = differences(ours, official);
  assert.equal(diff.size, 1 + 2 * (2 * 4 + 4));
  // Measured: at most 3.7e-11 (two float64 implementations, different SVD and inversion routines).
  for (const [name, d] of diff) assert.ok(d < 1e-9, `${name}: ours and the official adapted weights differ by ${d.toExponential(2)} (relative)`);
  // Not vacuous: the construction moves every parameter Theorem 7 adapts far more than that; W_1 (never adapted)
  // and W_2 of the first block (only its bias is re-tuned) stay the frozen ones.
  const kept = new Set(["block 1 W_1", "block 2 W_1", "block 1 W_2"]);
  for (const [name, d] of differences(official, frozen)) {
    if (kept.has(name)) assert.equal(d, 0, `${name}: the official construction should leave it frozen`);
    else assert.ok(d > 1e-3, `${name}: the official construction moved it by only ${d.toExponential(2)}`);
  }
});
