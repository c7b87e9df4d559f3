/**
 * The FNN reference engine (tfjs autodiff): its gradient against finite differences on a tiny
 * model, batched == alone on it, and a flat tensor count over a run. (That the fast path equals it
 * is `fused.test.ts`.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Matrix } from "ml-matrix";
import { makeFNNPair } from "../../../lib/src/models/targets";
import { initBackend, tf } from "../../../lib/src/tf/backend";
import { FNNEngine, type FNNLayerPlan } from "../../../lib/src/tf/fnn-engine";
import { trainFNNFinalLayers, trainFNNLoRA, trainFNNLoRABatch } from "../../../lib/src/tf/fnn-train";
import type { CeTarget, Task } from "../../../lib/src/tf/task";

/** Runs `f` on the reference (tfjs autodiff) path: LORA_ENGINE=reference for its duration, restored after. */
function onReference<T>(f: () => T): T {
  const prev = process.env.LORA_ENGINE;
  process.env.LORA_ENGINE = "reference";
  try {
    return f();
  } finally {
    if (prev === undefined) delete process.env.LORA_ENGINE;
    else process.env.LORA_ENGINE = prev;
  }
}

/** A deterministic D×r matrix with entries of size ~`scale` (no zero column, so every gradient is exercised). */
function filled(D: number, r: number, phase: number, scale: number): Matrix {
  return Matrix.from1DArray(D, r, Array.from({ length: D * r }, (_, i) => scale * Math.sin(1.7 * i + phase)));
}

/**
 * Largest |finite difference − autodiff| over θ, relative to the largest gradient entry: central
 * differences of the training loss (float32 forward, step h) against `lossAndGrad`'s gradient.
 * A coordinate whose one-sided differences disagree (by more than 0.2% of the largest gradient; float32 rounding of the losses makes ~0.1%) has a
 * ReLU kink within ±h (ReLU models only: a smooth loss has one-sided differences apart by h·f″): there the
 * loss has no derivative to compare, so it is counted, not compared.
 */
function gradientError(engine: FNNEngine, X: tf.Tensor3D, rowWeights: tf.Tensor2D, h: number, relu: boolean): { err: number; scale: number; kinks: number } {
  const theta = new Float32Array(engine.theta);
  const out = engine.lossAndGrad(theta, X, null, rowWeights);
  const loss = out[0];
  const grad = out.slice(2, 2 + theta.length);
  const scale = Math.max(...grad.map(Math.abs));
  let err = 0;
  let kinks = 0;
  for (let i = 0; i < theta.length; i++) {
    const p = new Float32Array(theta);
    p[i] += h;
    const up = engine.lossAndGrad(p, X, null, rowWeights)[0];
    p[i] = theta[i] - h;
    const down = engine.lossAndGrad(p, X, null, rowWeights)[0];
    if (relu && Math.abs((up - loss) / h - (loss - down) / h) > 2e-3 * scale) {
      kinks++;
      continue;
    }
    err = Math.max(err, Math.abs((up - down) / (2 * h) - grad[i]) / scale);
  }
  return { err, scale, kinks };
}

// Measured (wasm): worst relative error 1.7e-4 for linear models at h = 1e-2 (the O(h²) truncation
// of the central difference plus float32 rounding of the losses, ~1e-7/h), 4.0e-4 for ReLU models
// at h = 1e-3 (fewer kinks within reach; at h = 1e-2 errors up to 0.17 where a step crossed one),
// with at most 2 of 20 coordinates set aside as kinks. A gradient off by 1% fails; a wrong
// transpose, a missing factor or a dropped term gives errors of order 1.
const FD_TOL = 1e-3;

test("reference engine: autodiff gradient == central finite differences (tiny model; LoRA mixed ranks and full layers; three tasks)", async () => {
  await initBackend();
  const D = 4;
  const n = 6;
  const cases: Array<[Task, CeTarget]> = [["regression", "raw"], ["classification", "raw"], ["binary", "softmax"]];
  for (const activation of ["relu", "linear"] as const) {
    const { frozen, target } = makeFNNPair({ width: D, targetDepth: 1, frozenDepth: 2, activation, bias: true, seed: 11 });
    const adaptation = { adapters: [1, 2].map((r, l) => ({ A: filled(D, r, l, 0.3), B: filled(D, r, l + 0.5, 0.3) })), biases: null };
    const plans: Array<[string, FNNLayerPlan[]]> = [
      ["lora + bias", [{ weight: "lora", bias: true }, { weight: "lora", bias: true }]],
      ["frozen, full + bias", [{ weight: "frozen", bias: false }, { weight: "full", bias: true }]],
    ];
    for (const [task, ceTarget] of cases) {
      for (const [name, plan] of plans) {
        const engine = new FNNEngine([{ frozen, target, adaptation }], plan, task, ceTarget);
        const X = tf.tensor3d(Array.from({ length: n * D }, (_, i) => Math.cos(0.9 * i)), [1, n, D]);
        const w = new Float32Array(n * 2);
        for (let j = 0; j < n; j++) w[2 * j] = 1 / n;
        const rowWeights = tf.tensor2d(w, [n, 2]);
        try {
          const { err, scale, kinks } = gradientError(engine, X, rowWeights, activation === "relu" ? 1e-3 : 1e-2, activation === "relu");
          assert.ok(kinks <= engine.size / 10, `${activation} ${task} ${name}: ${kinks} of ${engine.size} coordinates at a kink`);
          assert.ok(scale > 1e-3, `${activation} ${task} ${name}: a gradient to check (max ${scale})`);
          assert.ok(err < FD_TOL, `${activation} ${task} ${ceTarget} ${name}: finite differences differ by ${err} (relative)`);
        } finally {
          tf.dispose([X, rowWeights]);
          engine.dispose();
        }
      }
    }
  }
});

test("reference engine: zero-padded adapter columns get exactly zero gradient", async () => {
  await initBackend();
  const D = 4;
  const { frozen, target } = makeFNNPair({ width: D, targetDepth: 1, frozenDepth: 1, activation: "relu", bias: true, seed: 2 });
  const members = [1, 3].map((r) => ({ frozen, target, adaptation: { adapters: [{ A: filled(D, r, 0, 0.3), B: filled(D, r, 1, 0.3) }], biases: null } }));
  const engine = new FNNEngine(members, [{ weight: "lora", bias: false }], "regression");
  const X = tf.tensor3d(Array.from({ length: 2 * 5 * D }, (_, i) => Math.sin(i)), [2, 5, D]);
  const rowWeights = tf.tensor2d(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 0.2 : 0)), [5, 2]);
  try {
    const out = engine.lossAndGrad(engine.theta, X, null, rowWeights);
    const g = out.subarray(4);
    // Layout: Aᵀ [K, 3, D] then B [K, D, 3]; model 0 has rank 1, so its rows 1–2 of Aᵀ and columns 1–2 of B are padding.
    const padded: number[] = [];
    const live: number[] = [];
    for (let r = 0; r < 3; r++) for (let i = 0; i < D; i++) (r === 0 ? live : padded).push(g[r * D + i]);
    for (let i = 0; i < D; i++) for (let r = 0; r < 3; r++) (r === 0 ? live : padded).push(g[2 * 3 * D + i * 3 + r]);
    assert.ok(padded.every((v) => v === 0), `padded gradients ${padded.join(",")}`);
    assert.ok(live.some((v) => v !== 0), "the live column has a gradient");
  } finally {
    tf.dispose([X, rowWeights]);
    engine.dispose();
  }
});

/** Largest |a − b| / max(|a|, 1e-3) over two curves. */
function relDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(0, ...a.map((x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(x), 1e-3)));
}

// Not bit-equal: with K > 1 the products run as batched matmuls and the bias/ReLU unfused, with
// K = 1 as XNNPACK 2-D products (the hand-written engine this replaced differed the same way).
// Measured: 2.0e-7 relative (a float32 ulp or two); as trainers.test.ts, 1e-6.
const BATCH_TOL = 1e-6;

test("reference engine: batched == alone to float32 rounding (padded ranks, distinct seeds and lrs)", async () => {
  await initBackend();
  const pair = makeFNNPair({ width: 8, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 9 });
  const quick = { nVal: 32, nTest: 64, batchSize: 32 };
  const members = [1, 3, 8].map((rank, k) => ({ ...pair, rank, seed: k === 2 ? 4 : 2, lr: k === 1 ? 3e-3 : 1e-2 }));
  const batched = onReference(() => trainFNNLoRABatch(members, { steps: 12, ...quick }));
  members.forEach((m, k) => {
    const alone = onReference(() => trainFNNLoRA(m.frozen, m.target, { rank: m.rank, steps: 12, lr: m.lr, seed: m.seed, ...quick }));
    const d = [relDiff(alone.trainLoss, batched[k].trainLoss), relDiff(alone.valLoss, batched[k].valLoss), relDiff([alone.testLoss], [batched[k].testLoss])];
    assert.ok(Math.max(...d) < BATCH_TOL, `model ${k}: train, val, test differ by ${d.join(", ")} (relative)`);
    assert.equal(alone.bestStep, batched[k].bestStep, `model ${k} best step`);
  });
});

test("reference engine: tensor count flat over a run and back to the start after it", async () => {
  await initBackend();
  const { frozen, target } = makeFNNPair({ width: 8, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 3 });
  const quick = { nVal: 32, nTest: 64, batchSize: 32 };
  for (const task of ["regression", "classification"] as const) {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    onReference(() => trainFNNLoRA(frozen, target, { rank: 2, steps: 60, lr: 1e-2, seed: 1, task, ...quick, progressEvery: 10, onProgress: () => counts.push(tf.memory().numTensors) }));
    onReference(() => trainFNNFinalLayers(frozen, target, { lastLayers: 1, steps: 20, lr: 1e-2, seed: 1, task, ...quick }));
    assert.equal(counts.length, 6);
    assert.ok(counts.every((c) => c === counts[0]), `${task}: tensors during the run ${counts.join(",")}`);
    assert.equal(tf.memory().numTensors, before, task);
  }
});
