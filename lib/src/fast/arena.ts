/**
 * Kernels of the fused Transformer and FNN engines over one float32 arena.
 *
 * The engines need a handful: the product `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + k·sb + c]`
 * (B stored k-major, `[K, C]`; optionally with a bias row, a ReLU, A read transposed), a row
 * softmax, the squared error with its gradient, back-propagation through a ReLU, and one Adam step.
 * They are written in AssemblyScript (`lib/src/fast/kernels/`, read those for the arithmetic),
 * compiled by `npm run build` (`lib/scripts/build-kernels.mjs`) to one WebAssembly SIMD module,
 * `lib/dist/fast/kernels.wasm`, which works on a `WebAssembly.Memory` holding every buffer the
 * engine uses: the arrays are `Float32Array` views into it and a call passes their element offsets.
 * On wasm at D = 16 the product runs ≈ 3x faster than the best unrolled JavaScript, and the
 * softmax ≈ 8x faster than `Math.exp`.
 *
 * The plain TypeScript loops below (`KernelArena` with `useWasm = false`) are the readable oracle
 * the tests hold the module to, bit for bit where they sum in the same order (the product, the
 * gradients of the squared error and the ReLU, Adam). They run in place of the module only where
 * the runtime has no WebAssembly SIMD (Node < 16.4, a browser without it). Where it has SIMD and the
 * compiled module is missing or does not load, constructing an arena throws `KernelLoadError`:
 * no silent fallback to the slower path.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BackendError } from "../errors";

/** Arguments of a product: A with its offset and row stride, B (k-major) likewise, the output, R rows × C columns. */
type ProductArgs = [A: Float32Array, ao: number, sa: number, B: Float32Array, bo: number, sb: number, O: Float32Array, oo: number, os: number, R: number, C: number];

/** `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + k·sb + c]` for r < R, c < C (K fixed). */
export type ProductKernel = (...args: ProductArgs) => void;

/** `O[oo + r·os + c] = [ReLU](bias[c] + Σ_k A[ao + r·sa + k] · B[bo + k·sb + c])` (B k-major). */
export type BiasKernel = (...args: [...rest: ProductArgs, bias: Float32Array]) => void;

/** Row softmax in place: `rows` rows of N entries at `P[po + r·stride]` (stride ≥ N rounded up to 4). */
export type SoftmaxKernel = (P: Float32Array, po: number, rows: number, N: number, stride: number) => void;

/** The compiled module's exports (`lib/src/fast/kernels/index.ts`); offsets count float32 entries. */
interface Kernels {
  gemm(ao: number, sa: number, bo: number, sb: number, oo: number, os: number, R: number, C: number, K: number, flags: number, bias: number, ska: number): void;
  softmax(po: number, rows: number, N: number, stride: number): void;
  squaredError(po: number, yo: number, go: number, n: number, c: number, relu: number): number;
  reluMask(po: number, zo: number, n: number): void;
  adam(tho: number, mo: number, vo: number, go: number, lro: number, wdo: number, n: number, b1: number, c1: number, b2: number, c2: number, eps: number, bc1: number, sbc2: number): void;
}

const KERNEL_NAMES: readonly (keyof Kernels)[] = ["gemm", "softmax", "squaredError", "reluMask", "adam"];

/** `gemm`'s flags (as in `kernels/gemm.ts`). */
const FLAG_ACC = 1;
const FLAG_RELU = 2;
const FLAG_BIAS = 4;

/** The compiled kernels cannot be had although the runtime has WebAssembly SIMD (not built, corrupt, wrong exports). */
export class KernelLoadError extends BackendError {}

/** Where `npm run build` writes the compiled kernels: `lib/dist/fast/kernels.wasm`, from `lib/dist/fast` or `lib/src/fast` (tsx). */
export const KERNELS_WASM = join(__dirname, "..", "..", "dist", "fast", "kernels.wasm");

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: { new (bytes: Uint8Array): object; exports(module: object): { name: string; kind: string }[] };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * The smallest module that uses a SIMD instruction (`() → v128`: `i32.const 0; i8x16.splat;
 * i8x16.popcnt`), as in the `wasm-feature-detect` package: it validates exactly where the runtime
 * has WebAssembly SIMD.
 */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** Whether this runtime has WebAssembly with SIMD (Node ≥ 16.4 does). */
export function wasmSimdAvailable(): boolean {
  return wasmApi !== undefined && wasmApi.validate(SIMD_PROBE);
}

/**
 * Compiles the kernels' module at `path` (default: the one `npm run build` writes), checking that
 * it validates and exports the five kernels; throws `KernelLoadError` naming what is wrong.
 */
export function loadKernelModule(path = KERNELS_WASM): object {
  if (wasmApi === undefined) throw new KernelLoadError("this runtime has no WebAssembly");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new KernelLoadError(`compiled kernels not readable at ${path} (${(err as Error).message}): run \`npm run build\``);
  }
  if (!wasmApi.validate(bytes)) throw new KernelLoadError(`${path} is not a valid WebAssembly SIMD module: rebuild it with \`npm run build\``);
  const module = new wasmApi.Module(bytes);
  const exported = new Set(wasmApi.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name));
  const missing = KERNEL_NAMES.filter((name) => !exported.has(name));
  if (missing.length > 0) throw new KernelLoadError(`${path} lacks the kernels ${missing.join(", ")}: rebuild it with \`npm run build\``);
  return module;
}

/** The compiled kernels' module, loaded once; null where the runtime has no WebAssembly SIMD. */
let compiled: object | null | undefined;

function instantiate(floats: number): { kernels: Kernels; buffer: ArrayBuffer } | null {
  if (compiled === undefined) compiled = wasmSimdAvailable() ? loadKernelModule() : null;
  if (compiled === null || wasmApi === undefined) return null;
  const memory = new wasmApi.Memory({ initial: Math.max(1, Math.ceil((floats * 4) / 65536)) });
  const exports = new wasmApi.Instance(compiled, { env: { memory } }).exports;
  return { kernels: exports as unknown as Kernels, buffer: memory.buffer };
}

// --- The readable TypeScript kernels (the oracle; the path without WebAssembly SIMD). ---

/** Row softmax with `Math.exp` (float64 inside a row, float32 results): the oracle of the compiled softmax. */
export const jsSoftmax: SoftmaxKernel = (P, po, rows, N, stride) => {
  for (let i = 0; i < rows; i++) {
    const r = po + i * stride;
    let mx = -Infinity;
    for (let j = 0; j < N; j++) if (P[r + j] > mx) mx = P[r + j];
    let s = 0;
    for (let j = 0; j < N; j++) s += P[r + j] = Math.exp(P[r + j] - mx);
    const inv = 1 / s;
    for (let j = 0; j < N; j++) P[r + j] *= inv;
  }
};

/** Adam's per-step constants (see `KernelArena.adam`). */
export interface AdamConstants {
  beta1: number;
  c1: number;
  beta2: number;
  c2: number;
  eps: number;
  bc1: number;
  sqrtBc2: number;
}

/** Options of `KernelArena.gemm`: accumulate into O, start from a bias row (an arena array), ReLU on the result. */
export interface GemmOptions {
  accumulate?: boolean;
  relu?: boolean;
  bias?: Float32Array;
}

const f32 = Math.fround;

/** A float32 arena and the kernels over it (the compiled WebAssembly SIMD module where the runtime has SIMD). */
export class KernelArena {
  readonly buffer: ArrayBuffer;
  /** Whether the kernels run in the compiled module (false: the TypeScript loops). */
  readonly simd: boolean;
  private used = 0;
  private readonly wasm: Kernels | null;

  /**
   * `floats`: the arena's capacity in float32 entries. `useWasm: false` runs the TypeScript kernels
   * (tests); otherwise the compiled module runs wherever the runtime has WebAssembly SIMD, and a
   * module that cannot be loaded there throws `KernelLoadError`.
   */
  constructor(floats: number, useWasm = true) {
    const inst = useWasm ? instantiate(floats) : null;
    this.wasm = inst?.kernels ?? null;
    this.buffer = inst?.buffer ?? new ArrayBuffer(floats * 4);
    this.simd = inst !== null;
  }

  /** A zeroed float32 array of length n inside the arena. */
  alloc(n: number): Float32Array {
    const start = this.used;
    if ((start + n) * 4 > this.buffer.byteLength) throw new RangeError(`kernel arena full (${this.buffer.byteLength} bytes)`);
    this.used = start + n + ((4 - (n % 4)) % 4); // keep 16-byte alignment
    return new Float32Array(this.buffer, start * 4, n);
  }

  /**
   * `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + k·sb + c]`: the product with B stored
   * k-major (`[K, C]`), vectorised over output columns (blocks of 16 and 4); arrays from `alloc`.
   */
  axpy(K: number, accumulate: boolean): ProductKernel {
    if (this.wasm === null) {
      const opts = { accumulate };
      return (A, ao, sa, B, bo, sb, O, oo, os, R, C) => this.gemm(opts, A, ao, sa, 1, B, bo, sb, O, oo, os, R, C, K);
    }
    const gemm = this.wasm.gemm;
    const flags = accumulate ? FLAG_ACC : 0;
    return (A, ao, sa, B, bo, sb, O, oo, os, R, C) => gemm((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, flags, 0, 1);
  }

  /** `O = [ReLU](A·B + bias)` with B k-major (a dense layer over rows); arrays from `alloc`. */
  biasAxpy(K: number, relu: boolean): BiasKernel {
    if (this.wasm === null) return (A, ao, sa, B, bo, sb, O, oo, os, R, C, bias) => this.gemm({ bias, relu }, A, ao, sa, 1, B, bo, sb, O, oo, os, R, C, K);
    const gemm = this.wasm.gemm;
    const flags = FLAG_BIAS | (relu ? FLAG_RELU : 0);
    return (A, ao, sa, B, bo, sb, O, oo, os, R, C, bias) =>
      gemm((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, flags, bias.byteOffset >> 2, 1);
  }

  /**
   * The general product on arena arrays: `O[oo + r·os + c] (=|+=) [ReLU](bias[c] +) Σ_{k<K} A[ao + r·sa + k·ska] ·
   * B[bo + k·sb + c]` for r < R, c < C. `ska` ≠ 1 reads A transposed (e.g. `zᵀG` from row-major z).
   * In float32, k = 0 … K−1 in order, then + O, then the ReLU (`kernels/gemm.ts`, the same bits).
   */
  gemm(o: GemmOptions, A: Float32Array, ao: number, sa: number, ska: number, B: Float32Array, bo: number, sb: number, O: Float32Array, oo: number, os: number, R: number, C: number, K: number): void {
    const w = this.wasm;
    if (w !== null) {
      const flags = (o.accumulate === true ? FLAG_ACC : 0) | (o.relu === true ? FLAG_RELU : 0) | (o.bias !== undefined ? FLAG_BIAS : 0);
      w.gemm((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, flags, o.bias === undefined ? 0 : o.bias.byteOffset >> 2, ska);
      return;
    }
    for (let r = 0; r < R; r++) {
      const a = ao + r * sa;
      const out = oo + r * os;
      for (let c = 0; c < C; c++) {
        let s = o.bias === undefined ? 0 : o.bias[c];
        for (let k = 0; k < K; k++) s = f32(s + f32(A[a + k * ska] * B[bo + k * sb + c]));
        if (o.accumulate === true) s = f32(s + O[out + c]);
        O[out + c] = o.relu === true && !(s > 0) ? 0 : s;
      }
    }
  }

  /**
   * `Σ_{i<n} (P[i] − Y[i])²`, writing `G[i] = c·(P[i] − Y[i])`, zeroed where `relu` and not
   * P[i] > 0 (the squared error's gradient through a ReLU output); arrays from `alloc`. The
   * compiled kernel sums in four float32 lanes (`kernels/loss.ts`), the TypeScript loop in float64.
   */
  squaredError(P: Float32Array, Y: Float32Array, G: Float32Array, n: number, c: number, relu: boolean): number {
    const w = this.wasm;
    if (w !== null) return w.squaredError(P.byteOffset >> 2, Y.byteOffset >> 2, G.byteOffset >> 2, n, c, relu ? 1 : 0);
    const cf = f32(c);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = f32(P[i] - Y[i]);
      s += d * d;
      G[i] = relu && !(P[i] > 0) ? 0 : d * cf;
    }
    return s;
  }

  /** `P[i] = Z[i] > 0 ? P[i] : 0` for i < n (back-propagation through a ReLU); arrays from `alloc`. */
  reluMask(P: Float32Array, Z: Float32Array, n: number): void {
    const w = this.wasm;
    if (w !== null) return w.reluMask(P.byteOffset >> 2, Z.byteOffset >> 2, n);
    for (let i = 0; i < n; i++) if (!(Z[i] > 0)) P[i] = 0;
  }

  /**
   * One float32 Adam update of n entries (`kernels/adam.ts`): `c` holds β1, 1−β1, β2, 1−β2, ε,
   * 1−β1ᵗ, √(1−β2ᵗ); arrays from `alloc`.
   */
  adam(theta: Float32Array, m: Float32Array, v: Float32Array, grad: Float32Array, lr: Float32Array, wd: Float32Array, n: number, c: AdamConstants): void {
    const w = this.wasm;
    if (w !== null) {
      w.adam(theta.byteOffset >> 2, m.byteOffset >> 2, v.byteOffset >> 2, grad.byteOffset >> 2, lr.byteOffset >> 2, wd.byteOffset >> 2, n, c.beta1, c.c1, c.beta2, c.c2, c.eps, c.bc1, c.sqrtBc2);
      return;
    }
    const [b1, c1, b2, c2, eps, bc1, sbc2] = [c.beta1, c.c1, c.beta2, c.c2, c.eps, c.bc1, c.sqrtBc2].map(f32);
    for (let i = 0; i < n; i++) {
      const g = f32(grad[i] + f32(wd[i] * theta[i]));
      const mi = (m[i] = f32(f32(b1 * m[i]) + f32(c1 * g)));
      const vi = (v[i] = f32(f32(b2 * v[i]) + f32(c2 * f32(g * g))));
      theta[i] = f32(theta[i] - f32(f32(lr[i] / bc1) * f32(mi / f32(f32(f32(Math.sqrt(vi)) / sbc2) + eps))));
    }
  }

  /** Row softmax in place (rows padded to a multiple of 4 entries); arrays from `alloc`. */
  softmax(): SoftmaxKernel {
    const w = this.wasm;
    if (w === null) return jsSoftmax;
    const softmax = w.softmax;
    return (P, po, rows, N, stride) => softmax((P.byteOffset >> 2) + po, rows, N, stride);
  }
}
