#!/usr/bin/env node
// Our Transformer construction (Theorem 7, float64) against the official one, two ways:
//
//   same weights  for every JSON file `tfn-construction.py --weights-dir` wrote (the official target and frozen
//                 models of one seed, depth and rank, and the official construction's adapted model, float64),
//                 run `constructTransformer` on the official target and frozen models and compare its adapted
//                 weights with the official ones (relative Frobenius difference, worst matrix), and both adapted
//                 models' test MSE on the same inputs (our `test` stream, --n-test sequences of 10 tokens);
//   our draws     for seeds --seeds, depths 1 and 2 and ranks --ranks, our own random pair
//                 (`makeTransformerPair`, the pair the `tfn` preset uses) and the construction's test MSE, so that
//                 the spread over seeds can be set beside the official code's over the same number of seeds.
//
//   node lib/scripts/official/tfn-compare.mjs --weights /tmp/tfn-weights --seeds 0-49 --ranks 1-7 \
//        --n-test 1000 --out data/results/tfn-construction-draws.jsonl
//
// Needs a built library (`npm run build`). Contains no official code. Writes JSON lines through a temporary file
// and a rename.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { constructTransformer, forwardTransformer, makeTransformerPair, mseBatch, stream, toMatrix, transformerInputs } from "lora-expressive-power";

function args() {
  const a = { weights: null, seeds: "0-49", ranks: "1-7", depths: "1,2", nTest: 1000, out: null };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    const k = v[i], x = v[i + 1];
    if (x === undefined) throw new Error(`${k}: a value is missing`);
    if (k === "--weights") a.weights = x;
    else if (k === "--seeds") a.seeds = x;
    else if (k === "--ranks") a.ranks = x;
    else if (k === "--depths") a.depths = x;
    else if (k === "--n-test") a.nTest = Number(x);
    else if (k === "--out") a.out = x;
    else throw new Error(`unknown option ${k}`);
  }
  if (a.out === null) throw new Error("--out is required");
  if (!(Number.isInteger(a.nTest) && a.nTest > 0)) throw new Error(`--n-test ${a.nTest}: a positive integer is required`);
  return a;
}

const span = (t) => t.split(",").flatMap((p) => {
  const [lo, hi] = p.split("-").map(Number);
  return hi === undefined ? [lo] : Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
});

function transformer(json) {
  return {
    kind: "transformer",
    width: json.width,
    Wo: toMatrix(json.Wo),
    blocks: json.blocks.map((b) => ({
      heads: b.heads.map((h) => ({ WQ: toMatrix(h.WQ), WK: toMatrix(h.WK), WV: toMatrix(h.WV), WO: toMatrix(h.WO) })),
      W1: toMatrix(b.W1), b1: b.b1, W2: toMatrix(b.W2), b2: b.b2,
    })),
  };
}

/** Every weight matrix and bias of a Transformer, flattened per parameter. */
function parameters(m) {
  const out = [["Wo", m.Wo.to1DArray()]];
  m.blocks.forEach((b, l) => {
    b.heads.forEach((h, i) => ["WQ", "WK", "WV", "WO"].forEach((k) => out.push([`block ${l + 1} head ${i + 1} ${k}`, h[k].to1DArray()])));
    out.push([`block ${l + 1} W1`, b.W1.to1DArray()], [`block ${l + 1} b1`, b.b1], [`block ${l + 1} W2`, b.W2.to1DArray()], [`block ${l + 1} b2`, b.b2]);
  });
  return out;
}

function worstRelativeDifference(a, b) {
  const pb = new Map(parameters(b));
  let worst = { name: "", value: 0 };
  for (const [name, x] of parameters(a)) {
    const y = pb.get(name);
    let d = 0, n = 0;
    x.forEach((v, i) => { d += (v - y[i]) ** 2; n += y[i] ** 2; });
    const rel = Math.sqrt(d) / Math.max(Math.sqrt(n), Number.MIN_VALUE);
    if (rel > worst.value) worst = { name, value: rel };
  }
  return worst;
}

const a = args();
const git = (...g) => { try { return execFileSync("git", g, { encoding: "utf8" }).trim(); } catch { return null; } };
// the tree the run starts from (a commit made while it runs does not change what it ran)
const start = { git_commit: git("rev-parse", "HEAD"), git_dirty: git("status", "--porcelain", "--untracked-files=no") !== "" };
const lines = [];
const t0 = Date.now();
if (a.weights !== null) {
  for (const file of readdirSync(a.weights).filter((f) => f.endsWith(".json")).sort()) {
    const j = JSON.parse(readFileSync(join(a.weights, file), "utf8"));
    const target = transformer(j.target), frozen = transformer(j.frozen), official = transformer(j.adapted);
    const ours = constructTransformer(frozen, target, j.rank, { verify: false }).adapted;
    const Xs = transformerInputs(stream(j.seed, "test"), target.width, 10, a.nTest);
    const Y = forwardTransformer(target, Xs);
    const worst = worstRelativeDifference(ours, official);
    lines.push({ kind: "same-weights", seed: j.seed, depth: j.depth, rank: j.rank, n_test: a.nTest,
      worst_relative_weight_difference: worst.value, worst_parameter: worst.name,
      test_mse_ours: mseBatch(Y, forwardTransformer(ours, Xs)), test_mse_official: mseBatch(Y, forwardTransformer(official, Xs)),
      official_test_mse_float64_own_inputs: j.test_mse_float64 });
    console.log(JSON.stringify(lines[lines.length - 1]));
  }
}
for (const seed of span(a.seeds)) for (const depth of span(a.depths)) {
  const pair = makeTransformerPair({ width: 16, depth, heads: 2, seed });
  const Xs = transformerInputs(stream(seed, "test"), 16, 10, a.nTest);
  const Y = forwardTransformer(pair.target, Xs);
  for (const rank of span(a.ranks)) {
    const built = constructTransformer(pair.frozen, pair.target, rank, { verify: false });
    lines.push({ kind: "our-draws", seed, depth, rank, n_test: a.nTest, test_mse: mseBatch(Y, forwardTransformer(built.adapted, Xs)) });
    console.log(JSON.stringify(lines[lines.length - 1]));
  }
}
const meta = { kind: "provenance", script: "lib/scripts/official/tfn-compare.mjs", argv: process.argv.slice(2), ...start, node: process.version, seconds: (Date.now() - t0) / 1000, finished: new Date().toISOString() };
const out = resolve(a.out);
const tmp = `${out}.tmp-${process.pid}`;
writeFileSync(tmp, [meta, ...lines].map((l) => JSON.stringify(l)).join("\n") + "\n");
renameSync(tmp, out);
