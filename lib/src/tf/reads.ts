/**
 * Tensor reads that run synchronously or asynchronously from one piece of code.
 *
 * The trainers are written as generators that `yield` each float32 tensor whose values they need
 * and receive its data back (`const data = yield tensor`). `readSync` answers with `dataSync()`
 * (the library's synchronous API: notebooks, exercises), `readAsync` with `await data()` (the only
 * read the WebGPU backend has in Node: its `dataSync()` needs an `OffscreenCanvas`). The driver
 * disposes every tensor once read. Both drivers run the same tfjs operations in the same order,
 * so on `cpu` and `wasm` they give bitwise the same numbers.
 */
import { BackendError, ShapeError } from "../errors";
import { tf } from "./backend";

/** A computation that reads float32 tensors (`yield t` gives back `t`'s data) and returns `R`. */
export type Reads<R> = Generator<tf.Tensor, R, Float32Array>;

/** A read's outcome: the data, or what the read threw. */
type Outcome = Float32Array | { error: unknown };

function check(t: tf.Tensor): void {
  if (t.dtype !== "float32") throw new ShapeError(`a read tensor must be float32, got ${t.dtype}`);
}

/** Disposes the read tensor and resumes `g` with the data, or throws the read's error into it (its `finally` blocks run). */
function resume<R>(g: Reads<R>, t: tf.Tensor, outcome: Outcome): IteratorResult<tf.Tensor, R> {
  t.dispose();
  return outcome instanceof Float32Array ? g.next(outcome) : g.throw(outcome.error);
}

/**
 * Runs `g` reading with `dataSync()`. `name` (the caller, e.g. `trainFNNLoRA`) and `instead` (its
 * asynchronous variant, default `${name}Async`) make the `BackendError` thrown on the WebGPU
 * backend, which cannot read synchronously in Node.
 */
export function readSync<R>(g: Reads<R>, name: string, instead = `${name}Async (same arguments, returns a Promise)`): R {
  if (tf.getBackend() === "webgpu") {
    g.return(undefined as never);
    throw new BackendError(`${name} reads tensors synchronously, which the webgpu backend cannot do in Node: use ${instead}`);
  }
  let r = g.next(new Float32Array(0));
  while (!r.done) {
    let outcome: Outcome;
    try {
      check(r.value);
      outcome = r.value.dataSync() as Float32Array;
    } catch (error) {
      outcome = { error };
    }
    r = resume(g, r.value, outcome);
  }
  return r.value;
}

/** Runs `g` reading with `await data()` (every backend; the only way on WebGPU). */
export async function readAsync<R>(g: Reads<R>): Promise<R> {
  let r = g.next(new Float32Array(0));
  while (!r.done) {
    let outcome: Outcome;
    try {
      check(r.value);
      outcome = (await r.value.data()) as Float32Array;
    } catch (error) {
      outcome = { error };
    }
    r = resume(g, r.value, outcome);
  }
  return r.value;
}
