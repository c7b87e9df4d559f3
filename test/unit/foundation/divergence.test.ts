// Divergence is an error (issue 11): every trainer (FNN LoRA, final layers, pretraining,
// Transformer; fused and tfjs kernels; single and batched) raises DivergenceError naming the step
// and the quantity; lora-exp exits 3 with one JSON object; a batched member that diverges does
// not sink the others; sweeps record `status: "diverged"` and aggregation never selects one;
// numeric entry points throw NumericError instead of returning NaN; --n_epochs 0 is defined.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Matrix } from "ml-matrix";
import { BackendError, DivergenceError, LoraError, NumericError } from "../../../lib/src/errors";
import * as pub from "../../../lib/src/index";
import { main } from "../../../lib/src/experiments/cli";
import { runMain } from "../cli-capture";
import { frobeniusNorm, relativeError, spectralNorm, vectorNorm } from "../../../lib/src/linalg/matrix";
import { singularValues, svd, numericalRank } from "../../../lib/src/linalg/svd";
import { argmaxAgreement, binaryAgreement, mse, mseBatch, relativeErrorBatch, taskCrossEntropy } from "../../../lib/src/models/metrics";
import { makeFNNPair, makeTransformerPair } from "../../../lib/src/models/targets";
import { backendInfo, initBackend } from "../../../lib/src/tf/backend";
import { pretrainFNN, trainFNNFinalLayers, trainFNNLoRA, trainFNNLoRABatch } from "../../../lib/src/tf/fnn-train";
import { runLoop, type LoopStepper } from "../../../lib/src/tf/loop";
import { pretrainTransformer, trainTransformerLoRA } from "../../../lib/src/tf/transformer-train";
import { aggregate } from "../../../lib/src/experiments/sweep/aggregate";
import { executeTask } from "../../../lib/src/experiments/sweep/execute";
import { expandPreset } from "../../../lib/src/experiments/presets";
import type { RunRecord, RunSpec } from "../../../lib/src/experiments/sweep/types";

const small = { width: 6, targetDepth: 1, frozenDepth: 2, activation: "relu" as const, bias: true, seed: 3 };
const quick = { nVal: 32, nTest: 64, batchSize: 32, steps: 6 };

/** Runs lora-exp in-process. */
const lora = (argv: string[]) => runMain(main, argv);

const isDivergence = (quantity?: RegExp) => (e: unknown) =>
  e instanceof DivergenceError && e instanceof LoraError && Number.isInteger(e.step) && e.step >= 0 && (quantity === undefined || quantity.test(e.quantity)) && /diverged/.test(e.message);

test("DivergenceError is part of the public errors", () => {
  assert.equal(pub.DivergenceError, DivergenceError);
  const e = new DivergenceError(7, "training loss", NaN);
  assert.equal(e.code, "divergence");
  assert.equal(e.name, "DivergenceError");
  assert.match(e.message, /training loss became NaN at step 7/);
});

test("lora-exp: FNN sgd at --lr 1e308 exits 3 with one JSON object naming the step (was: exit 0, finite test_loss)", async () => {
  const r = await lora(["--exp", "fnn", "--width", "8", "--rank", "2", "--method", "sgd", "--n_test", "200", "--batch_size", "64", "--n_epochs", "50", "--lr", "1e308", "--json"]);
  assert.equal(r.status, 3, r.err);
  assert.equal(r.out.length, 1, "exactly one line on stdout");
  const o = JSON.parse(r.out[0]) as { error: { type: string; message: string; step: number }; config: { lr: number } };
  assert.equal(o.error.type, "DivergenceError");
  assert.ok(Number.isInteger(o.error.step) && o.error.step >= 1 && o.error.step <= 50, `step ${o.error.step}`);
  assert.match(o.error.message, /diverged/);
  assert.equal(o.config.lr, 1e308);
  assert.deepEqual(Object.keys(o).sort(), ["config", "error"]);
});

test("lora-exp: Transformer sgd at --lr 1e9 exits 3 (was: null test_loss, exit 0); human output names the error on stderr", async () => {
  const argv = ["--exp", "tfn", "--width", "4", "--rank", "2", "--target_depth", "1", "--frozen_depth", "1", "--method", "sgd", "--n_test", "16", "--batch_size", "16", "--n_epochs", "10", "--lr", "1e9"];
  const j = await lora([...argv, "--json"]);
  assert.equal(j.status, 3, j.err);
  assert.equal(JSON.parse(j.out[0]).error.type, "DivergenceError");
  const h = await lora(argv);
  assert.equal(h.status, 3);
  assert.match(h.err, /DivergenceError: training diverged/);
  assert.ok(!h.out.some((l) => /^Test loss/.test(l)), "no test loss is printed for a diverged run");
});

test("lora-exp --n_epochs 0 reports the untrained model's validation loss, never NaN", async () => {
  const r = await lora(["--exp", "fnn", "--width", "4", "--method", "sgd", "--n_epochs", "0", "--n_test", "100", "--batch_size", "32"]);
  assert.equal(r.status, 0, r.err);
  const v = r.out.find((l) => l.startsWith("Validation loss:"));
  assert.ok(v !== undefined);
  assert.ok(Number.isFinite(Number(v.split(":")[1])), v);
  const j = await lora(["--exp", "fnn", "--width", "4", "--method", "sgd", "--n_epochs", "0", "--n_test", "100", "--batch_size", "32", "--json"]);
  const o = JSON.parse(j.out[0]) as { val_loss: number; best_step: number };
  assert.equal(typeof o.val_loss, "number");
  assert.equal(o.best_step, 0);
});

for (const engine of ["fast", "reference"] as const) {
  test(`every FNN trainer throws DivergenceError on the ${engine} engine`, async () => {
    await initBackend();
    const saved = process.env.LORA_ENGINE;
    process.env.LORA_ENGINE = engine;
    try {
      const { frozen, target } = makeFNNPair(small);
      assert.throws(() => trainFNNLoRA(frozen, target, { rank: 2, lr: 1e308, seed: 1, ...quick }), isDivergence());
      assert.throws(() => trainFNNFinalLayers(frozen, target, { lastLayers: 1, lr: 1e308, seed: 1, ...quick }), isDivergence());
      assert.throws(() => pretrainFNN(frozen, target, { epochs: 6, lr: 1e308, seed: 1, batchSize: 32 }), isDivergence());
      // a sane learning rate still trains
      assert.ok(Number.isFinite(trainFNNLoRA(frozen, target, { rank: 2, lr: 1e-3, seed: 1, ...quick }).testLoss));
    } finally {
      if (saved === undefined) delete process.env.LORA_ENGINE;
      else process.env.LORA_ENGINE = saved;
    }
  });
}

test("Transformer LoRA and pretraining throw DivergenceError (fast and reference engines)", async () => {
  await initBackend();
  const { frozen, target } = makeTransformerPair({ width: 4, depth: 1, heads: 2, seed: 2 });
  for (const engine of ["fast", "reference"] as const) {
    assert.throws(() => trainTransformerLoRA(frozen, target, { rank: 2, lr: 1e9, seed: 1, seqLength: 4, engine, ...quick }), isDivergence(), engine);
    assert.throws(() => pretrainTransformer(frozen, target, { epochs: 6, lr: 1e9, seed: 1, batchSize: 16, seqLength: 4, engine }), isDivergence(), engine);
  }
});

for (const engine of ["fast", "reference"] as const) {
  test(`trainFNNLoRABatch (${engine}): a diverged member is reported, the others train exactly as alone`, async () => {
    await initBackend();
    const saved = process.env.LORA_ENGINE;
    process.env.LORA_ENGINE = engine;
    try {
      const { frozen, target } = makeFNNPair(small);
      const opts = { ...quick, steps: 8 };
      const res = trainFNNLoRABatch(
        [
          { frozen, target, rank: 2, seed: 4, lr: 1e-2 },
          { frozen, target, rank: 2, seed: 4, lr: 1e308 },
          { frozen, target, rank: 3, seed: 5, lr: 1e-3 },
        ],
        opts,
      );
      assert.equal(res.length, 3);
      assert.equal(res[0].diverged, undefined);
      assert.equal(res[2].diverged, undefined);
      assert.ok(res[1].diverged instanceof DivergenceError);
      assert.equal(res[1].diverged.model, 1);
      assert.match(res[1].diverged.message, /model 1 of the batch/);
      const alone = trainFNNLoRA(frozen, target, { rank: 2, seed: 4, lr: 1e-2, ...opts });
      assert.ok(Math.abs(res[0].testLoss - alone.testLoss) <= 1e-5 * alone.testLoss, `${res[0].testLoss} vs ${alone.testLoss}`);
      assert.ok(res[0].trainLoss.every(Number.isFinite) && res[2].trainLoss.every(Number.isFinite));
    } finally {
      if (saved === undefined) delete process.env.LORA_ENGINE;
      else process.env.LORA_ENGINE = saved;
    }
  });
}

/** A stepper whose model k's training loss becomes `bad` at iteration `at[k]` (θ stays finite). */
function fakeStepper(K: number, at: number[], bad: number): LoopStepper & { calls: number } {
  let t = 0;
  const s = {
    K,
    owner: Int32Array.from({ length: 2 * K }, (_, i) => i >> 1),
    calls: 0,
    evaluate(_theta: Float32Array, withVal: boolean, trainBatch: boolean): Float32Array {
      s.calls++;
      const out = new Float32Array(2 * K + 2 * K);
      for (let k = 0; k < K; k++) {
        out[2 * k] = t >= at[k] ? bad : 1 / (t + 1);
        out[2 * k + 1] = withVal ? 1 / (t + 1) : 0;
        out[2 * K + 2 * k] = 0.1;
      }
      if (trainBatch) t++;
      return out;
    },
  };
  return s;
}

test("runLoop: the first non-finite loss names its step and quantity; one model throws, a batch marks and goes on", () => {
  const opts = { steps: 10, lr: new Float32Array(2).fill(1e-3), weightDecay: new Float32Array(2), valEvery: 1, bestEpoch: true };
  assert.throws(
    () => runLoop(fakeStepper(1, [4], NaN), new Float32Array(2), opts),
    (e: unknown) => e instanceof DivergenceError && e.step === 4 && e.quantity === "training loss" && Number.isNaN(e.value),
  );
  assert.throws(() => runLoop(fakeStepper(1, [2], Infinity), new Float32Array(2), opts), (e: unknown) => e instanceof DivergenceError && e.step === 2 && e.value === Infinity);
  const two = runLoop(fakeStepper(2, [99, 3], NaN), new Float32Array(4), { ...opts, lr: new Float32Array(4).fill(1e-3), weightDecay: new Float32Array(4) });
  assert.equal(two.diverged[0], null);
  assert.equal(two.diverged[1]?.step, 3);
  assert.equal(two.steps, 10, "the healthy model trains to the end");
  assert.equal(two.trainLoss[0].length, 10);
  // a parameter that is no longer finite is named as such
  const theta = new Float32Array([0, Infinity]);
  assert.throws(() => runLoop(fakeStepper(1, [0], NaN), theta, opts), (e: unknown) => e instanceof DivergenceError && e.quantity === "parameter" && e.step === 0);
});

test("library numeric entry points throw NumericError on NaN/Infinity instead of returning NaN", () => {
  const good = Matrix.eye(3, 3);
  for (const bad of [NaN, Infinity, -Infinity]) {
    const M = good.clone();
    M.set(1, 2, bad);
    const numeric = (e: unknown) => e instanceof NumericError;
    assert.throws(() => singularValues(M), numeric, "singularValues");
    assert.throws(() => svd(M), numeric, "svd");
    assert.throws(() => spectralNorm(M), numeric, "spectralNorm");
    assert.throws(() => numericalRank(M), numeric, "numericalRank");
    assert.throws(() => frobeniusNorm(M), numeric, "frobeniusNorm");
    assert.throws(() => vectorNorm([1, bad]), numeric, "vectorNorm");
    assert.throws(() => mse(good, M), numeric, "mse");
    assert.throws(() => mse(M, good), numeric, "mse (target)");
    assert.throws(() => mseBatch([good], [M]), numeric, "mseBatch");
    assert.throws(() => relativeError(M, good), numeric, "relativeError");
    assert.throws(() => relativeError(good, M), numeric, "relativeError (reference)");
    assert.throws(() => relativeErrorBatch([M], [good]), numeric, "relativeErrorBatch");
    assert.throws(() => taskCrossEntropy(good, M, "classification", "raw"), numeric, "taskCrossEntropy");
    assert.throws(() => argmaxAgreement(good, M), numeric, "argmaxAgreement");
    assert.throws(() => binaryAgreement(good, M), numeric, "binaryAgreement");
  }
  // finite inputs are untouched
  assert.equal(mse(good, good), 0);
  assert.equal(relativeError(good, good), 0);
  assert.deepEqual(singularValues(good), [1, 1, 1]);
});

test("initBackend('bogus') throws BackendError and leaves the backend in use untouched", async () => {
  const before = await backendInfo();
  await assert.rejects(() => initBackend("bogus" as unknown as "auto"), (e: unknown) => e instanceof BackendError && /bogus.*auto, tensorflow, wasm, cpu or webgpu/.test(e.message));
  const after = await initBackend();
  assert.deepEqual(after, before);
});

/** A quick fnn sgd spec with its learning rate replaced. */
function sgdSpec(lr: number, seed = 0): RunSpec {
  const s = expandPreset("fnn", "quick").find((r) => r.method === "sgd" && r.config.frozen_depth === 2 && r.seed === seed)!;
  const config = { ...s.config, lr, n_epochs: 6, n_test: 64, n_val: 32, batch_size: 32 };
  return { ...s, id: `${s.id}-lr${lr}`, config };
}

test("sweeps record a diverged run as status \"diverged\" (single and batched), not a failure", async () => {
  for (const specs of [[sgdSpec(1e308)], [sgdSpec(1e-3), sgdSpec(1e308)]]) {
    const seen: RunRecord[] = [];
    const out = await executeTask(specs, 10, (r) => seen.push(r));
    assert.equal(out.failures.length, 0, JSON.stringify(out.failures));
    assert.equal(out.records.length, specs.length);
    const bad = out.records.find((r) => r.lr === 1e308)!;
    assert.equal(bad.result.status, "diverged");
    assert.ok(bad.result.divergence !== undefined && bad.result.divergence.step >= 0);
    assert.ok(Number.isNaN(bad.result.test_loss));
    const ok = out.records.find((r) => r.lr !== 1e308);
    if (ok) assert.equal(ok.result.status, "ok");
  }
});

test("aggregation never selects a diverged run, even one whose validation loss looks lowest, and counts it", () => {
  // one cell (panel, method, x, seed) with a grid of three learning rates
  const s0 = expandPreset("linear", "quick").find((r) => r.method === "sgd")!;
  const cell = [1e-1, 1e-2, 1e-3].map((lr, i): RunSpec => ({ ...s0, id: `${s0.id}-${i}`, config: { ...s0.config, lr } }));
  const specs = cell;
  const rec = (s: RunSpec, val: number, status?: "ok" | "diverged"): RunRecord => ({
    id: s.id, preset: s.preset, point: s.point, variant: s.variant, method: s.method, frozen: s.frozen, x_name: s.xName, x: s.x,
    seed: s.seed, lr: s.config.lr, weight_decay: s.config.weight_decay, config: s.config, seconds: 1, finished: "",
    result: { test_loss: val, test_shift_loss: val, val_loss: val, best_step: 1, accuracy: null, shift_accuracy: null, history: null, pretrain_steps: 0, ...(status ? { status } : {}) },
  });
  const records = cell.map((s, i) => (i === 0 ? rec(s, 1e-9, "diverged") : rec(s, 0.5 + i)));
  const [row] = aggregate(specs, records, "quick");
  assert.equal(row.n_diverged, 1);
  assert.ok(row.test_loss >= 0.5, `a diverged run was selected: ${row.test_loss}`);
  const healthy = aggregate(specs, cell.map((s, i) => rec(s, 0.5 + i)), "quick")[0];
  assert.equal(healthy.n_diverged, 0);
});
