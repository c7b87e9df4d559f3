import { test } from "node:test";
import assert from "node:assert/strict";
import { makeFNNPair, makeTransformerPair } from "../../../lib/src/models/targets";
import { initBackend } from "../../../lib/src/tf/backend";
import { envThreads, fnnThreads, idleFNNWorkers } from "../../../lib/src/fast/fnn-stepper";
import { pretrainFNN, trainFNNFinalLayers, trainFNNLoRA, trainFNNLoRABatch } from "../../../lib/src/tf/fnn-train";
import { resolveEngine, resolveSettings } from "../../../lib/src/tf/settings";
import { trainTransformerLoRA } from "../../../lib/src/tf/transformer-train";
import { ConfigError } from "../../../lib/src/errors";

const small = { width: 8, targetDepth: 1, frozenDepth: 2, activation: "relu" as const, bias: true, seed: 3 };
const quick = { nVal: 48, nTest: 64, batchSize: 40 };

/** Runs `f` with environment variables set (undefined: unset), restoring them after. */
function withEnv<T>(vars: Record<string, string | undefined>, f: () => T): T {
  const prev = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>): void => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  set(vars);
  try {
    return f();
  } finally {
    set(prev);
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

test("engine choice: option, else LORA_ENGINE, else by backend; LORA_FNN_KERNEL refused", async () => {
  const info = await initBackend();
  withEnv({ LORA_ENGINE: undefined, LORA_FNN_KERNEL: undefined }, () => {
    assert.equal(resolveEngine(), info.name === "wasm" || info.name === "cpu" ? "fast" : "reference");
    assert.equal(resolveEngine("reference"), "reference");
  });
  withEnv({ LORA_ENGINE: " Reference ", LORA_FNN_KERNEL: undefined }, () => {
    assert.equal(resolveEngine(), "reference");
    assert.equal(resolveEngine("fast"), "fast", "the option wins over the environment");
  });
  withEnv({ LORA_ENGINE: "gpu", LORA_FNN_KERNEL: undefined }, () => assert.throws(() => resolveEngine(), ConfigError));
  withEnv({ LORA_ENGINE: undefined, LORA_FNN_KERNEL: "fused" }, () => assert.throws(() => resolveEngine(), /LORA_ENGINE=fast/));
  assert.throws(() => resolveSettings({ steps: 1, lr: 1e-3, seed: 0, engine: "fused" as never }), ConfigError);
  assert.throws(() => resolveSettings({ steps: 1, lr: 1e-3, seed: 0, threads: 0 }), ConfigError);
});

test("LORA_ENGINE selects the same way for the FNN and the Transformer trainers", async () => {
  await initBackend();
  const fnn = makeFNNPair(small);
  const tfn = makeTransformerPair({ width: 4, depth: 1, heads: 2, seed: 2 });
  const o = { steps: 6, lr: 1e-2, seed: 5, rank: 2, ...quick };
  const runs = {
    fnn: (engine?: "fast" | "reference") => trainFNNLoRA(fnn.frozen, fnn.target, { ...o, ...(engine ? { engine } : {}) }).trainLoss,
    transformer: (engine?: "fast" | "reference") => trainTransformerLoRA(tfn.frozen, tfn.target, { ...o, seqLength: 3, batchSize: 8, ...(engine ? { engine } : {}) }).trainLoss,
  };
  for (const [model, run] of Object.entries(runs)) {
    const fast = run("fast");
    const reference = run("reference");
    // The two engines round differently (float32, ~1e-7): their curves are not bit-identical, so
    // bit-equality with one of them says which engine ran (each engine is deterministic).
    assert.notDeepEqual(fast, reference, `${model}: fast and reference curves differ in the last bits`);
    for (const engine of ["fast", "reference"] as const) {
      const viaEnv = withEnv({ LORA_ENGINE: engine, LORA_FNN_KERNEL: undefined }, () => run());
      assert.deepEqual(viaEnv, engine === "fast" ? fast : reference, `${model}: LORA_ENGINE=${engine} runs the ${engine} engine`);
    }
  }
});

test("fast == reference loss histories: LoRA (mixed ranks) and flt, bias on/off, relu/linear, three tasks, both cross-entropy targets, n_train", async () => {
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
        const a = trainFNNLoRA(frozen, target, { ...lora, engine: "reference" });
        const b = trainFNNLoRA(frozen, target, { ...lora, engine: "fast" });
        const what = `${activation} bias=${bias} ${task} ${ceTarget}`;
        assert.ok(relDiff(a.trainLoss, b.trainLoss) < TOL, `LoRA train ${what}`);
        assert.ok(relDiff(a.valLoss, b.valLoss) < TOL, `LoRA val ${what}`);
        assert.equal(a.bestStep, b.bestStep, what);
        assert.equal(a.valAccuracyAtBest, b.valAccuracyAtBest, `val accuracy ${what}`);
        assert.equal(a.valAccuracyAtBest === null, task === "regression", what);
        assert.ok(Math.abs(a.testLoss - b.testLoss) <= TOL * Math.max(Math.abs(a.testLoss), 1e-3), what);
        const c = trainFNNFinalLayers(frozen, target, { ...flt, engine: "reference" });
        const d = trainFNNFinalLayers(frozen, target, { ...flt, engine: "fast" });
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

test("fast == reference for batched models (padded ranks, shared and distinct seeds/targets) and pretraining", async () => {
  await initBackend();
  const p0 = makeFNNPair(small);
  const p1 = makeFNNPair({ ...small, seed: 4 });
  const members = [
    { ...p0, rank: 1, seed: 0, lr: 1e-2 },
    { ...p0, rank: [3, 2], seed: 0, lr: 3e-3, weightDecay: 1e-3 },
    { ...p1, rank: 2, seed: 7, lr: 1e-2 },
    { frozen: p0.frozen, target: p1.target, rank: 4, seed: 0, lr: 1e-2 },
  ];
  const A = trainFNNLoRABatch(members, { engine: "reference", steps: 10, ...quick });
  const B = trainFNNLoRABatch(members, { engine: "fast", steps: 10, ...quick });
  A.forEach((a, k) => {
    assert.ok(relDiff(a.trainLoss, B[k].trainLoss) < TOL, `model ${k} train`);
    assert.ok(relDiff(a.valLoss, B[k].valLoss) < TOL, `model ${k} val`);
  });
  const P = pretrainFNN(p0.frozen, p0.target, { engine: "reference", seed: 0, lr: 1e-2, level: 2, batchSize: 32, epochs: 30 });
  const Q = pretrainFNN(p0.frozen, p0.target, { engine: "fast", seed: 0, lr: 1e-2, level: 2, batchSize: 32, epochs: 30 });
  assert.equal(P.steps, Q.steps);
  assert.ok(Math.abs(P.finalLoss - Q.finalLoss) <= TOL * P.finalLoss);
});

test("fast engine: deterministic, and batched == alone (width 16)", async () => {
  await initBackend();
  const pair = makeFNNPair({ ...small, width: 16, seed: 9 });
  const o = { steps: 15, lr: 1e-2, seed: 2, ...quick };
  const a = trainFNNLoRA(pair.frozen, pair.target, { engine: "fast", ...o, rank: 3 });
  const b = trainFNNLoRA(pair.frozen, pair.target, { engine: "fast", ...o, rank: 3 });
  assert.deepEqual(a.trainLoss, b.trainLoss);
  assert.deepEqual(a.valLoss, b.valLoss);
  const members = [1, 3, 16].map((rank, k) => ({ ...pair, rank, seed: k === 2 ? 4 : 2, lr: 1e-2 }));
  const batched = trainFNNLoRABatch(members, { engine: "fast", steps: 15, ...quick });
  members.forEach((m, k) => {
    const alone = trainFNNLoRA(m.frozen, m.target, { engine: "fast", ...o, rank: m.rank, seed: m.seed });
    // Same arithmetic in the same order: equal, not just close.
    assert.deepEqual(alone.trainLoss, batched[k].trainLoss, `model ${k}`);
    assert.deepEqual(alone.valLoss, batched[k].valLoss, `model ${k}`);
  });
  const t = trainFNNLoRA(pair.frozen, pair.target, { engine: "reference", ...o, rank: 3 });
  assert.ok(relDiff(t.trainLoss, a.trainLoss) < TOL);
});

test("fast engine on worker threads: same numbers as one thread; thread count rules", async () => {
  await initBackend();
  const pair = makeFNNPair({ ...small, width: 16, seed: 9 });
  const p1 = makeFNNPair({ ...small, width: 16, seed: 10 });
  const members = [
    { ...pair, rank: 2, seed: 1, lr: 1e-2 },
    { ...pair, rank: 5, seed: 1, lr: 1e-2 },
    { ...p1, rank: 3, seed: 2, lr: 3e-3 },
  ];
  const run = (threads: number) => trainFNNLoRABatch(members, { engine: "fast", threads, steps: 12, ...quick });
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
  withEnv({ LORA_FNN_THREADS: undefined }, () => {
    assert.equal(envThreads(), null);
    assert.equal(fnnThreads(16, 1e6), 1);
    assert.ok(fnnThreads(16, 1e10) >= 1);
    assert.equal(fnnThreads(1, 1e10), 1);
    assert.equal(fnnThreads(16, 1e6, 3), 3, "the threads setting wins over the automatic choice");
  });
  withEnv({ LORA_FNN_THREADS: "2" }, () => {
    assert.equal(fnnThreads(16, 1e6), 2);
    assert.equal(fnnThreads(16, 1e6, 1), 1, "the threads setting wins over LORA_FNN_THREADS");
  });
  withEnv({ LORA_FNN_THREADS: "0" }, () => assert.throws(() => fnnThreads(16, 1e6), ConfigError));
  assert.throws(() => fnnThreads(16, 1e6, 0), ConfigError);
});
