import { test } from "node:test";
import assert from "node:assert/strict";
import { makeFNNPair } from "../../../lib/src/models/targets";
import { initBackend } from "../../../lib/src/tf/backend";
import { fnnKernel, fnnThreads, idleFNNWorkers, parseFNNKernel, setFNNKernel, setFNNThreads, type FNNKernel } from "../../../lib/src/tf/fnn-fused";
import { pretrainFNN, trainFNNFinalLayers, trainFNNLoRA, trainFNNLoRABatch } from "../../../lib/src/tf/fnn-train";
import { ConfigError } from "../../../lib/src/errors";

const small = { width: 8, targetDepth: 1, frozenDepth: 2, activation: "relu" as const, bias: true, seed: 3 };
const quick = { nVal: 48, nTest: 64, batchSize: 40 };

/** Runs `f` with the FNN kernel forced, restoring the previous setting. */
function withKernel<T>(kernel: FNNKernel, f: () => T): T {
  const prev = setFNNKernel(kernel);
  try {
    return f();
  } finally {
    setFNNKernel(prev);
  }
}

/**
 * Largest relative difference of two loss curves, relative to max(|a_t|, 1e-3, 0.1·max_t |a_t|).
 * The last floor is for the raw cross-entropy, whose targets can be negative: its loss can pass
 * through zero mid-curve (measured: −0.0121 on a curve of scale 1.16, linear, no bias), where a
 * difference relative to the value itself says nothing (there 1.1e-7 absolute, 9e-6 "relative", 1e-6 of a tenth of the scale).
 */
function relDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  const scale = Math.max(...a.map(Math.abs));
  return Math.max(0, ...a.map((x, i) => Math.abs(x - b[i]) / Math.max(Math.abs(x), 1e-3, 0.1 * scale)));
}

// Measured (wasm): loss curves 3.5e-7 relative, test losses 1.1e-7; ×10 for other backends and thread counts.
const TOL = 3e-6;

test("kernel choice: LORA_FNN_KERNEL parsing, forcing, default by backend", async () => {
  const info = await initBackend();
  assert.equal(parseFNNKernel(undefined), "auto");
  assert.equal(parseFNNKernel(" Fused "), "fused");
  assert.throws(() => parseFNNKernel("gpu"), ConfigError);
  withKernel("tfjs", () => assert.equal(fnnKernel(), "tfjs"));
  const prev = setFNNKernel("auto");
  try {
    if (process.env.LORA_FNN_KERNEL === undefined) assert.equal(fnnKernel(), info.name === "tensorflow" ? "tfjs" : "fused");
  } finally {
    setFNNKernel(prev);
  }
});

test("fused == tfjs loss histories: LoRA (mixed ranks) and flt, bias on/off, relu/linear, three tasks, both cross-entropy targets, n_train", async () => {
  await initBackend();
  for (const activation of ["relu", "linear"] as const) {
    for (const bias of [true, false]) {
      const { frozen, target } = makeFNNPair({ ...small, activation, bias });
      const cases = [["regression", "raw"], ["classification", "raw"], ["classification", "softmax"], ["binary", "raw"], ["binary", "softmax"]] as const;
      for (const [task, ceTarget] of cases) {
        const nTrain = task === "classification" && ceTarget === "softmax" ? 24 : null;
        const o = { steps: 12, lr: 1e-2, seed: 5, task, ceTarget, nTrain, ...quick };
        const lora = { ...o, rank: [2, 3] };
        const flt = { ...o, lastLayers: 1 };
        const a = withKernel("tfjs", () => trainFNNLoRA(frozen, target, lora));
        const b = withKernel("fused", () => trainFNNLoRA(frozen, target, lora));
        const what = `${activation} bias=${bias} ${task} ${ceTarget}`;
        assert.ok(relDiff(a.trainLoss, b.trainLoss) < TOL, `LoRA train ${what}`);
        assert.ok(relDiff(a.valLoss, b.valLoss) < TOL, `LoRA val ${what}`);
        assert.equal(a.bestStep, b.bestStep, what);
        assert.equal(a.valAccuracyAtBest, b.valAccuracyAtBest, `val accuracy ${what}`);
        assert.equal(a.valAccuracyAtBest === null, task === "regression", what);
        assert.ok(Math.abs(a.testLoss - b.testLoss) <= TOL * Math.max(Math.abs(a.testLoss), 1e-3), what);
        const c = withKernel("tfjs", () => trainFNNFinalLayers(frozen, target, flt));
        const d = withKernel("fused", () => trainFNNFinalLayers(frozen, target, flt));
        assert.ok(relDiff(c.trainLoss, d.trainLoss) < TOL, `flt train ${what}`);
        assert.ok(relDiff(c.valLoss, d.valLoss) < TOL, `flt val ${what}`);
      }
      // The two objectives train differently (a kernel that ignored ce_target would pass the loop above).
      const raw = trainFNNLoRA(frozen, target, { steps: 12, lr: 1e-2, seed: 5, task: "classification", ceTarget: "raw", rank: 2, ...quick });
      const soft = trainFNNLoRA(frozen, target, { steps: 12, lr: 1e-2, seed: 5, task: "classification", ceTarget: "softmax", rank: 2, ...quick });
      assert.ok(relDiff(raw.trainLoss, soft.trainLoss) > 1e-2, `raw and softmax objectives differ (${activation} bias=${bias})`);
    }
  }
});

test("fused == tfjs for batched models (padded ranks, shared and distinct seeds/targets) and pretraining", async () => {
  await initBackend();
  const p0 = makeFNNPair(small);
  const p1 = makeFNNPair({ ...small, seed: 4 });
  const members = [
    { ...p0, rank: 1, seed: 0, lr: 1e-2 },
    { ...p0, rank: [3, 2], seed: 0, lr: 3e-3, weightDecay: 1e-3 },
    { ...p1, rank: 2, seed: 7, lr: 1e-2 },
    { frozen: p0.frozen, target: p1.target, rank: 4, seed: 0, lr: 1e-2 },
  ];
  const A = withKernel("tfjs", () => trainFNNLoRABatch(members, { steps: 10, ...quick }));
  const B = withKernel("fused", () => trainFNNLoRABatch(members, { steps: 10, ...quick }));
  A.forEach((a, k) => {
    assert.ok(relDiff(a.trainLoss, B[k].trainLoss) < TOL, `model ${k} train`);
    assert.ok(relDiff(a.valLoss, B[k].valLoss) < TOL, `model ${k} val`);
  });
  const P = withKernel("tfjs", () => pretrainFNN(p0.frozen, p0.target, { seed: 0, lr: 1e-2, level: 2, batchSize: 32, epochs: 30 }));
  const Q = withKernel("fused", () => pretrainFNN(p0.frozen, p0.target, { seed: 0, lr: 1e-2, level: 2, batchSize: 32, epochs: 30 }));
  assert.equal(P.steps, Q.steps);
  assert.ok(Math.abs(P.finalLoss - Q.finalLoss) <= TOL * P.finalLoss);
});

test("fused kernel: deterministic, and batched == alone (width 16)", async () => {
  await initBackend();
  const pair = makeFNNPair({ ...small, width: 16, seed: 9 });
  const o = { steps: 15, lr: 1e-2, seed: 2, ...quick };
  const a = withKernel("fused", () => trainFNNLoRA(pair.frozen, pair.target, { ...o, rank: 3 }));
  const b = withKernel("fused", () => trainFNNLoRA(pair.frozen, pair.target, { ...o, rank: 3 }));
  assert.deepEqual(a.trainLoss, b.trainLoss);
  assert.deepEqual(a.valLoss, b.valLoss);
  const members = [1, 3, 16].map((rank, k) => ({ ...pair, rank, seed: k === 2 ? 4 : 2, lr: 1e-2 }));
  const batched = withKernel("fused", () => trainFNNLoRABatch(members, { steps: 15, ...quick }));
  members.forEach((m, k) => {
    const alone = withKernel("fused", () => trainFNNLoRA(m.frozen, m.target, { ...o, rank: m.rank, seed: m.seed }));
    // Same arithmetic in the same order: equal, not just close.
    assert.deepEqual(alone.trainLoss, batched[k].trainLoss, `model ${k}`);
    assert.deepEqual(alone.valLoss, batched[k].valLoss, `model ${k}`);
  });
  const t = withKernel("tfjs", () => trainFNNLoRA(pair.frozen, pair.target, { ...o, rank: 3 }));
  assert.ok(relDiff(t.trainLoss, a.trainLoss) < TOL);
});

test("fused kernel on worker threads: same numbers as one thread; thread count rules", async () => {
  await initBackend();
  const pair = makeFNNPair({ ...small, width: 16, seed: 9 });
  const p1 = makeFNNPair({ ...small, width: 16, seed: 10 });
  const members = [
    { ...pair, rank: 2, seed: 1, lr: 1e-2 },
    { ...pair, rank: 5, seed: 1, lr: 1e-2 },
    { ...p1, rank: 3, seed: 2, lr: 3e-3 },
  ];
  const run = (threads: number) => {
    const prev = setFNNThreads(threads);
    try {
      return withKernel("fused", () => trainFNNLoRABatch(members, { steps: 12, ...quick }));
    } finally {
      setFNNThreads(prev);
    }
  };
  const one = run(1);
  const two = run(2);
  // The worker thread went back to the idle pool, and the next run takes it instead of starting another.
  const idle = idleFNNWorkers();
  assert.ok(idle >= 1, "a worker waits in the pool after a threaded run");
  const again = run(2);
  assert.equal(idleFNNWorkers(), idle);
  members.forEach((_, k) => assert.deepEqual(again[k].trainLoss, two[k].trainLoss, `model ${k}: a reused worker gives the same numbers`));
  members.forEach((_, k) => {
    assert.deepEqual(two[k].trainLoss, one[k].trainLoss, `model ${k}`);
    assert.deepEqual(two[k].valLoss, one[k].valLoss, `model ${k}`);
    assert.equal(two[k].testLoss, one[k].testLoss);
  });
  const prev = setFNNThreads(null);
  try {
    if (process.env.LORA_FNN_THREADS === undefined) {
      assert.equal(fnnThreads(16, 1e6), 1);
      assert.ok(fnnThreads(16, 1e10) >= 1);
      assert.equal(fnnThreads(1, 1e10), 1);
    }
  } finally {
    setFNNThreads(prev);
  }
  assert.throws(() => setFNNThreads(0), ConfigError);
});
