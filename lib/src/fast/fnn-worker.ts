/**
 * Worker thread of the fused FNN kernel: evaluates its share of the K models each step. It lives
 * across runs: each run arrives as a message, and the thread returns to its event loop (waiting for
 * the next run) when the run's stop flag is set.
 *
 * Protocol over a shared `Int32Array` `ctrl` (see `FusedFNNStepper`): the main thread writes the
 * flags (`ctrl[1]`: 1 = with validation, 2 = new training batch, 4 = stop) and bumps the step
 * counter `ctrl[0]`; this worker evaluates on the shared θ, writes its models' losses and
 * gradients into the shared output, then stores the counter in `ctrl[2 + index]` (or −2 on an
 * error, −1 meaning "not ready yet" before the first step).
 */
import { parentPort } from "node:worker_threads";
import { FusedFNNCore, waitWhile, type FusedSpec } from "./fnn-core";

interface FusedWorkerData {
  spec: FusedSpec;
  subset: number[];
  index: number;
  ctrl: SharedArrayBuffer;
  theta: SharedArrayBuffer;
  out: SharedArrayBuffer;
}

function run(data: FusedWorkerData): void {
  const ctrl = new Int32Array(data.ctrl);
  const slot = 2 + data.index;
  let core: FusedFNNCore;
  try {
    core = new FusedFNNCore(data.spec, new Float32Array(data.out), data.subset);
  } catch {
    Atomics.store(ctrl, slot, -2);
    Atomics.notify(ctrl, slot);
    return;
  }
  const theta = new Float32Array(data.theta);
  let seq = 0;
  Atomics.store(ctrl, slot, 0);
  Atomics.notify(ctrl, slot);
  for (;;) {
    seq = waitWhile(ctrl, 0, seq, Infinity);
    const flags = Atomics.load(ctrl, 1);
    if ((flags & 4) !== 0) return;
    try {
      core.evaluate(theta, (flags & 1) !== 0, (flags & 2) !== 0);
      Atomics.store(ctrl, slot, seq);
    } catch {
      Atomics.store(ctrl, slot, -2);
    }
    Atomics.notify(ctrl, slot);
  }
}

parentPort?.on("message", (data: FusedWorkerData) => run(data));
