/**
 * The fast FNN stepper (`engine: "fast"`): one training evaluation (forward, loss, hand-written backward, validation
 * forward) of K FNNs written as plain loops over typed arrays, a drop-in `LoopStepper` for the
 * reference (tfjs) `FNNStepper` of `tf/fnn-train.ts`.
 *
 * Why it exists: the paper's FNNs are tiny (D = 16, two layers, batch 256). A training step is
 * ~0.5 MFLOP but ~50 tfjs ops, and on the CPU backends (`wasm`, `cpu`) each op costs 30–40 µs of
 * dispatch in Node, so the tfjs graph spends almost all its time outside arithmetic. Here the same
 * step is seven float32 matrix products in a WebAssembly SIMD module (`arena.ts`, kernels in `kernels/`, ~10 µs each
 * at batch 256) plus a few loops, with no allocation and no dispatch.
 *
 * When it is used: `engine: "fast"` (the trainers' option) or `LORA_ENGINE=fast`; by default on the
 * `wasm` and `cpu` backends, not on the native `tensorflow` or `webgpu` backends (GPU or
 * multi-threaded native CPU, where big batched graphs win; see `resolveEngine`). Test metrics, records and
 * the θ layout still come from `FNNEngine`; only the per-step evaluation is replaced.
 *
 * Semantics are the tfjs engine's (a test checks equal loss histories to float32 tolerance): the
 * same flat θ layout (`tf/fnn-layout.ts`, `FNNEngine`'s segments), the same data streams and draw order, the same
 * losses and gradients. Arithmetic is float32 like the tfjs kernels (the squared error is summed in
 * float32 lanes, the classification losses in float64), gradients are written back as float32. Without WebAssembly SIMD the
 * same products run as plain JavaScript loops.
 *
 * Shared work in batched runs (computed once, used by every model that shares it): input draws of
 * equal seeds, target outputs (labels) of equal targets on equal inputs, validation labels (once
 * per run), and the outputs of leading frozen layers (`flt`) for models with equal frozen layers.
 * Padded adapter columns (a model of rank r in a batch padded to R) are skipped: their gradients
 * are exactly zero in the tfjs engine and are left at zero here.
 *
 * Threads: a large batched run (K ≥ 2 models and about a second of work or more, started from the
 * main thread, with idle cores) splits its models over worker threads (`fnn-worker.ts`, up to the machine's cores; the trainers' `threads`
 * setting or `LORA_FNN_THREADS=n` overrides, 1 disables). Each thread owns whole models and draws the shared
 * inputs of its models' seeds itself, so the numbers do not depend on the thread count. θ and the
 * output live in shared memory; the steps synchronise through a shared counter (a short spin, then
 * `Atomics.wait`/`notify`: a futex wake-up costs about as much as a model's step).
 *
 * Layout of the code: the arithmetic is in `fnn-core.ts` (no tfjs, loadable by workers);
 * this module turns an `FNNEngine` into plain data and runs the threads.
 */
import { availableParallelism, loadavg } from "node:os";
import { extname, join } from "node:path";
import { Worker, isMainThread } from "node:worker_threads";
import { transposedData } from "../linalg/matrix";
import type { FNN } from "../models/types";
import { ConfigError } from "../errors";
import type { FNNEngine } from "../tf/fnn-engine";
import type { LoopStepper } from "../tf/loop";
import type { ResolvedSettings } from "../tf/settings";
import { fnnThetaLayout, type LayerLayout } from "../tf/fnn-layout";
import { FusedFNNCore, vector32, waitWhile, type FusedSpec } from "./fnn-core";

/** `LORA_FNN_THREADS`, parsed (null when unset or empty). */
export function envThreads(): number | null {
  const env = process.env.LORA_FNN_THREADS;
  if (env === undefined || env.trim() === "") return null;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`LORA_FNN_THREADS=${env} must be a positive integer`);
  return n;
}

/**
 * Threads for a fast run of K models: `requested` (the trainers' `threads` setting), else
 * `LORA_FNN_THREADS`, else, on the main thread only, this thread plus the idle cores (cores − 1-minute
 * load average; at most 4 in all) when the run is long enough to repay starting workers
 * (~0.1–0.5 s): steps × K × rows × D² × L ≥ 1e9 multiply-adds (about a second of work).
 */
export function fnnThreads(K: number, work: number, requested: number | null = null): number {
  if (requested !== null && (!Number.isInteger(requested) || requested < 1)) throw new ConfigError(`threads ${requested} must be a positive integer`);
  let n = requested ?? envThreads();
  // Not inside a worker (e.g. a sweep's thread pool, which already uses the cores), and only onto
  // idle cores: on a busy machine a thread that waits for a descheduled one loses more than it gains.
  if (n === null) {
    const spare = Math.floor(availableParallelism() - loadavg()[0]);
    n = isMainThread && work >= 1e9 && spare >= 1 ? Math.min(availableParallelism(), 4, 1 + spare) : 1;
  }
  return Math.max(1, Math.min(n, K));
}

/** `FNNEngine`'s θ layout (`fnnThetaLayout` of its plan and padded ranks; checked against its size). */
function layout(engine: FNNEngine): LayerLayout[] {
  const { layers, size } = fnnThetaLayout(engine.plan, engine.ranks, engine.K, engine.D);
  if (size !== engine.size) throw new Error(`fused FNN kernel: θ layout has ${size} entries, the engine ${engine.size}`);
  return layers;
}

function fnnKey(layers: FNN["layers"], biases: ReadonlyArray<readonly number[]>, activation: string): string {
  return JSON.stringify([activation, layers.map((ly, l) => [Array.from(ly.W.to1DArray(), Math.fround), biases[l].map(Math.fround)])]);
}

/** The engine's models as plain data for `FusedFNNCore`. */
export function fusedSpec(engine: FNNEngine, seeds: readonly number[], s: ResolvedSettings, trainPurpose = "train"): FusedSpec {
  const { K, D, L } = engine;
  if (seeds.length !== K) throw new ConfigError(`fused FNN kernel: ${seeds.length} seeds for ${K} models`);
  const layers = layout(engine);
  const f = layers.findIndex((ly) => ly.weight !== "frozen" || ly.bias);
  const first = f < 0 ? L : f;
  return {
    K,
    D,
    L,
    task: engine.task,
    ceTarget: s.ceTarget,
    relu: engine.activation === "relu",
    nTr: s.nTrain ?? s.batchSize,
    nVal: s.nVal,
    fixedTrain: s.nTrain !== null,
    trainPurpose,
    layers,
    size: engine.size,
    models: engine.members.map((m, k) => {
      const biases = m.frozen.layers.map((ly, l) => m.adaptation?.biases?.[l] ?? ly.b);
      return {
        seed: seeds[k],
        ranks: [...engine.memberRanks[k]],
        frozenWT: m.frozen.layers.map((ly) => transposedData(ly.W)),
        frozenB: biases.map(vector32),
        target: { WT: m.target.layers.map((ly) => transposedData(ly.W)), b: m.target.layers.map((ly) => vector32(ly.b)), relu: m.target.activation === "relu" },
        targetKey: fnnKey(m.target.layers, m.target.layers.map((ly) => ly.b), m.target.activation),
        prefixKey: fnnKey(m.frozen.layers.slice(0, first), biases.slice(0, first), m.frozen.activation),
      };
    }),
  };
}

/** Ready wait for a worker's start (module load and its share of the setup). */
const START_TIMEOUT_MS = 30_000;
/** A step that takes this long means a worker died. */
const STEP_TIMEOUT_MS = 120_000;

// Worker threads stay alive between runs (idle, unref'd: they never keep the process alive), so a
// run finds them started and their code already optimised (a fresh thread interprets, and its
// WebAssembly starts at the baseline tier, for its first few hundred steps).
const idleWorkers: Worker[] = [];

function spawnWorker(): Worker {
  const file = join(__dirname, `fnn-worker${extname(__filename)}`);
  // Run from the TypeScript sources (tests, tsx), a worker registers tsx itself: loaders do not pass to workers.
  const ts = extname(__filename) === ".ts";
  const source = ts ? `require("tsx/cjs/api").register(); require(${JSON.stringify(file)});` : file;
  const w = new Worker(source, { eval: ts });
  w.unref();
  const forget = (): void => {
    const i = idleWorkers.indexOf(w);
    if (i >= 0) idleWorkers.splice(i, 1);
  };
  w.on("error", forget);
  w.on("exit", forget);
  return w;
}

/** Number of started worker threads waiting for a run (for tests and diagnostics). */
export function idleFNNWorkers(): number {
  return idleWorkers.length;
}

/**
 * The fused `LoopStepper` for K FNNs on an `FNNEngine`'s layout (drop-in for `FNNStepper`). The
 * returned buffer of `evaluate` is reused by the next call (the loop consumes it before evaluating
 * again). Call `dispose()` to hand its worker threads back.
 */
export class FusedFNNStepper implements LoopStepper {
  readonly K: number;
  readonly owner: Int32Array;
  /** Threads in use (1: this thread only). */
  readonly threads: number;
  private readonly out: Float32Array;
  private readonly nVal: number;
  private readonly core: FusedFNNCore;
  private readonly workers: Worker[] = [];
  private readonly ctrl: Int32Array | null = null;
  private readonly sharedTheta: Float32Array | null = null;
  private seq = 0;

  constructor(engine: FNNEngine, seeds: number[], s: ResolvedSettings, trainPurpose = "train") {
    this.K = engine.K;
    this.owner = engine.owner;
    const spec = fusedSpec(engine, seeds, s, trainPurpose);
    this.nVal = spec.nVal;
    const rows = 2 * spec.nTr + (s.valEvery > 0 ? spec.nVal : 0);
    let threads = fnnThreads(this.K, s.steps * this.K * rows * spec.D * spec.D * spec.L, s.threads);
    // Losses [train_k, val_k], gradients, validation accuracies (see `FusedFNNCore`).
    const outLen = 3 * this.K + spec.size;
    if (threads > 1) {
      // Models dealt round-robin: thread t evaluates k ≡ t (mod threads); this thread is t = 0.
      const subsets = Array.from({ length: threads }, (_, t) => Array.from({ length: this.K }, (_, k) => k).filter((k) => k % threads === t));
      const ctrlBuf = new SharedArrayBuffer(4 * (2 + threads));
      const thetaBuf = new SharedArrayBuffer(4 * spec.size);
      const outBuf = new SharedArrayBuffer(4 * outLen);
      const ctrl = new Int32Array(ctrlBuf);
      ctrl.fill(-1, 2);
      try {
        for (let t = 1; t < threads; t++) {
          const w = idleWorkers.pop() ?? spawnWorker();
          this.workers.push(w);
          w.postMessage({ spec, subset: subsets[t], index: t, ctrl: ctrlBuf, theta: thetaBuf, out: outBuf });
        }
        this.out = new Float32Array(outBuf);
        this.core = new FusedFNNCore(spec, this.out, subsets[0]);
        for (let t = 1; t < threads; t++) {
          if (waitWhile(ctrl, 2 + t, -1, START_TIMEOUT_MS) !== 0) throw new Error(`fused FNN worker ${t} failed to start`);
        }
        this.ctrl = ctrl;
        this.sharedTheta = new Float32Array(thetaBuf);
      } catch {
        // No threads (worker file unloadable, e.g. TypeScript sources without a loader): run here.
        Atomics.store(ctrl, 1, 4);
        Atomics.store(ctrl, 0, 1);
        Atomics.notify(ctrl, 0);
        for (const w of this.workers) void w.terminate();
        this.workers.length = 0;
        threads = 1;
      }
    }
    this.threads = threads;
    if (threads === 1) {
      this.out = new Float32Array(outLen);
      this.core = new FusedFNNCore(spec, this.out);
    } else {
      // Set in the try block above.
      this.out ??= new Float32Array(outLen);
      this.core ??= new FusedFNNCore(spec, this.out);
    }
  }

  /** Validation accuracies of the last validated evaluation (NaN for regression): correct rows / nVal. */
  valAccuracy(): Float64Array {
    const counts = this.out.subarray(this.out.length - this.K);
    return Float64Array.from(counts, (c) => c / this.nVal);
  }

  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): Float32Array {
    const { ctrl, sharedTheta } = this;
    if (ctrl === null || sharedTheta === null) {
      this.core.evaluate(theta, withVal, trainBatch);
      return this.out;
    }
    sharedTheta.set(theta);
    const seq = ++this.seq;
    Atomics.store(ctrl, 1, (withVal ? 1 : 0) | (trainBatch ? 2 : 0));
    Atomics.store(ctrl, 0, seq);
    Atomics.notify(ctrl, 0);
    this.core.evaluate(sharedTheta, withVal, trainBatch);
    for (let t = 1; t <= this.workers.length; t++) {
      const v = waitWhile(ctrl, 2 + t, seq - 1, STEP_TIMEOUT_MS);
      if (v !== seq) throw new Error(`fused FNN worker ${t} failed at step ${seq}`);
    }
    return this.out;
  }

  /** Stops this run's worker threads and hands them back to the idle pool. */
  dispose(): void {
    const { ctrl } = this;
    if (ctrl !== null) {
      Atomics.store(ctrl, 1, 4);
      Atomics.store(ctrl, 0, ++this.seq);
      Atomics.notify(ctrl, 0);
    }
    // A worker takes its next run's message only after leaving this one's loop.
    idleWorkers.push(...this.workers);
    this.workers.length = 0;
  }
}
