/**
 * Dot-product kernels of the fused Transformer engine over one float32 arena.
 *
 * `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + c·sb + k]` (r < R, c < C) is the only
 * product the engine needs. When the runtime has WebAssembly SIMD (Node ≥ 16), it runs in a tiny
 * module assembled here byte by byte (f32x4 multiply-adds over k, a scalar tail for K mod 4),
 * on a `WebAssembly.Memory` that holds every buffer the engine uses: the arrays are `Float32Array`
 * views into it, and a kernel call passes their element offsets. Without SIMD the arena is a plain
 * buffer and the kernels are JavaScript, generated per K with the row in locals.
 */

/** `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + c·sb + k]` for r < R, c < C. */
export type DotKernel = (
  A: Float32Array,
  ao: number,
  sa: number,
  B: Float32Array,
  bo: number,
  sb: number,
  O: Float32Array,
  oo: number,
  os: number,
  R: number,
  C: number,
) => void;

type WasmDot = (ao: number, sa: number, bo: number, sb: number, oo: number, os: number, R: number, C: number, K: number, acc: number) => void;

// --- A minimal WebAssembly encoder for the one function. ---

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

// Parameters 0..9: ao sa bo sb oo os R C K acc; locals 10..: r c k pa pb K4 (i32), s (f32), v (v128).
const [AO, SA, BO, SB, OO, OS, R_, C_, K_, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [R, C, K, PA, PB, K4, S, V] = [10, 11, 12, 13, 14, 15, 16, 17];

const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const ADD = 0x6a;
const MUL = 0x6c;
const SHL = 0x74;
const GE_S = 0x4e;
const AND = 0x71;
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = 0x0b;
const br = (d: number): number[] => [0x0c, ...uleb(d)];
const brIf = (d: number): number[] => [0x0d, ...uleb(d)];
const inc = (i: number, by: number): number[] => [...get(i), ...i32c(by), ADD, ...set(i)];
const F32_LOAD = [0x2a, 0x02, 0x00];
const F32_STORE = [0x38, 0x02, 0x00];
const V128_LOAD = [...simd(0x00), 0x00, 0x00];

function dotBody(): number[] {
  const code: number[] = [
    ...get(K_), ...i32c(-4), AND, ...set(K4),
    ...i32c(0), ...set(R),
    ...BLOCK, ...LOOP,
    ...get(R), ...get(R_), GE_S, ...brIf(1),
    ...i32c(0), ...set(C),
    ...BLOCK, ...LOOP,
    ...get(C), ...get(C_), GE_S, ...brIf(1),
    // pa = (ao + r·sa) << 2; pb = (bo + c·sb) << 2
    ...get(AO), ...get(R), ...get(SA), MUL, ADD, ...i32c(2), SHL, ...set(PA),
    ...get(BO), ...get(C), ...get(SB), MUL, ADD, ...i32c(2), SHL, ...set(PB),
    ...simd(0x0c), ...new Array<number>(16).fill(0), ...set(V), // v128.const 0
    ...i32c(0), ...set(K),
    ...BLOCK, ...LOOP,
    ...get(K), ...get(K4), GE_S, ...brIf(1),
    ...get(V), ...get(PA), ...V128_LOAD, ...get(PB), ...V128_LOAD, ...simd(0xe6), ...simd(0xe4), ...set(V),
    ...inc(PA, 16), ...inc(PB, 16), ...inc(K, 4),
    ...br(0), END, END,
    // s = v[0] + v[1] + v[2] + v[3]
    ...get(V), ...simd(0x1f), 0, ...get(V), ...simd(0x1f), 1, 0x92,
    ...get(V), ...simd(0x1f), 2, ...get(V), ...simd(0x1f), 3, 0x92, 0x92, ...set(S),
    ...BLOCK, ...LOOP,
    ...get(K), ...get(K_), GE_S, ...brIf(1),
    ...get(S), ...get(PA), ...F32_LOAD, ...get(PB), ...F32_LOAD, 0x94, 0x92, ...set(S),
    ...inc(PA, 4), ...inc(PB, 4), ...inc(K, 1),
    ...br(0), END, END,
    // address of O[oo + r·os + c] → pa
    ...get(OO), ...get(R), ...get(OS), MUL, ADD, ...get(C), ADD, ...i32c(2), SHL, ...set(PA),
    ...get(ACC), 0x04, 0x40, ...get(S), ...get(PA), ...F32_LOAD, 0x92, ...set(S), END,
    ...get(PA), ...get(S), ...F32_STORE,
    ...inc(C, 1),
    ...br(0), END, END,
    ...inc(R, 1),
    ...br(0), END, END,
    END,
  ];
  const locals = [0x03, ...uleb(6), I32, 0x01, F32, 0x01, V128];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

// axpy form: locals 10..: r c k pa pb sb4 (i32), s (f32), a v0 v1 v2 v3 (v128).
const [SB4, AV, V0] = [15, 17, 18];
const SUB = 0x6b;
const LT_S = 0x48;
const vload = (offset: number): number[] => [...simd(0x00), 0x00, ...uleb(offset)];
const vstore = (offset: number): number[] => [...simd(0x0b), 0x00, ...uleb(offset)];

/** One column block of `w` v128 accumulators (4·w columns) at column c, row r. */
function axpyBlock(w: number): number[] {
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)];
  const code: number[] = [];
  for (let i = 0; i < w; i++) code.push(...zero, ...set(V0 + i));
  code.push(
    ...get(AO), ...get(R), ...get(SA), MUL, ADD, ...i32c(2), SHL, ...set(PA),
    ...get(BO), ...get(C), ADD, ...i32c(2), SHL, ...set(PB),
    ...i32c(0), ...set(K),
    ...BLOCK, ...LOOP,
    ...get(K), ...get(K_), GE_S, ...brIf(1),
    ...get(PA), ...F32_LOAD, ...simd(0x13), ...set(AV),
  );
  for (let i = 0; i < w; i++) code.push(...get(V0 + i), ...get(AV), ...get(PB), ...vload(16 * i), ...simd(0xe6), ...simd(0xe4), ...set(V0 + i));
  code.push(...inc(PA, 4), ...get(PB), ...get(SB4), ADD, ...set(PB), ...inc(K, 1), ...br(0), END, END);
  // store (adding the old values when accumulating) at O[oo + r·os + c]
  code.push(...get(OO), ...get(R), ...get(OS), MUL, ADD, ...get(C), ADD, ...i32c(2), SHL, ...set(PA));
  code.push(...get(ACC), 0x04, 0x40);
  for (let i = 0; i < w; i++) code.push(...get(V0 + i), ...get(PA), ...vload(16 * i), ...simd(0xe4), ...set(V0 + i));
  code.push(END);
  for (let i = 0; i < w; i++) code.push(...get(PA), ...get(V0 + i), ...vstore(16 * i));
  code.push(...inc(C, 4 * w));
  return code;
}

function axpyBody(): number[] {
  const blockLoop = (w: number): number[] => [
    ...BLOCK, ...LOOP,
    ...get(C_), ...get(C), SUB, ...i32c(4 * w), LT_S, ...brIf(1),
    ...axpyBlock(w),
    ...br(0), END, END,
  ];
  const code: number[] = [
    ...get(SB), ...i32c(2), SHL, ...set(SB4),
    ...i32c(0), ...set(R),
    ...BLOCK, ...LOOP,
    ...get(R), ...get(R_), GE_S, ...brIf(1),
    ...i32c(0), ...set(C),
    ...blockLoop(4),
    ...blockLoop(1),
    // scalar tail columns
    ...BLOCK, ...LOOP,
    ...get(C), ...get(C_), GE_S, ...brIf(1),
    ...get(AO), ...get(R), ...get(SA), MUL, ADD, ...i32c(2), SHL, ...set(PA),
    ...get(BO), ...get(C), ADD, ...i32c(2), SHL, ...set(PB),
    0x43, 0, 0, 0, 0, ...set(S),
    ...i32c(0), ...set(K),
    ...BLOCK, ...LOOP,
    ...get(K), ...get(K_), GE_S, ...brIf(1),
    ...get(S), ...get(PA), ...F32_LOAD, ...get(PB), ...F32_LOAD, 0x94, 0x92, ...set(S),
    ...inc(PA, 4), ...get(PB), ...get(SB4), ADD, ...set(PB), ...inc(K, 1),
    ...br(0), END, END,
    ...get(OO), ...get(R), ...get(OS), MUL, ADD, ...get(C), ADD, ...i32c(2), SHL, ...set(PA),
    ...get(ACC), 0x04, 0x40, ...get(S), ...get(PA), ...F32_LOAD, 0x92, ...set(S), END,
    ...get(PA), ...get(S), ...F32_STORE,
    ...inc(C, 1),
    ...br(0), END, END,
    ...inc(R, 1),
    ...br(0), END, END,
    END,
  ];
  const locals = [0x03, ...uleb(6), I32, 0x01, F32, ...uleb(5), V128];
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const type = [0x01, 0x60, ...uleb(10), ...new Array<number>(10).fill(I32), 0x00];
  const imports = [0x01, ...str("env"), ...str("mem"), 0x02, 0x00, 0x01];
  const funcs = [0x02, 0x00, 0x00];
  const exports = [0x02, ...str("dot"), 0x00, 0x00, ...str("axpy"), 0x00, 0x01];
  const code = [0x02, ...dotBody(), ...axpyBody()];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, type),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** The part of the WebAssembly JS API used here (the project's `lib` setting has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

function wasmModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = moduleBytes();
    compiled = wasmApi !== undefined && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

// --- JavaScript fallback kernels. ---

const jsCache = new Map<string, DotKernel>();

function sumTree(terms: string[]): string {
  if (terms.length === 1) return terms[0];
  const half = terms.length >> 1;
  return `(${sumTree(terms.slice(0, half))} + ${sumTree(terms.slice(half))})`;
}

/** A JavaScript kernel for inner dimension K (generated with the row of A in locals for K ≤ 64). */
export function jsDotKernel(K: number, accumulate: boolean): DotKernel {
  const key = `${K}:${accumulate}`;
  const hit = jsCache.get(key);
  if (hit !== undefined) return hit;
  let f: DotKernel;
  if (K >= 1 && K <= 64) {
    const loads = Array.from({ length: K }, (_, k) => `const a${k} = A[a + ${k}];`).join(" ");
    const sum = sumTree(Array.from({ length: K }, (_, k) => `a${k} * B[b + ${k}]`));
    const body = [
      "for (let r = 0; r < R; r++) {",
      "  const a = ao + r * sa; const o = oo + r * os;",
      `  ${loads}`,
      "  for (let c = 0; c < C; c++) {",
      "    const b = bo + c * sb;",
      `    O[o + c] ${accumulate ? "+=" : "="} ${sum};`,
      "  }",
      "}",
    ].join("\n");
    f = new Function("A", "ao", "sa", "B", "bo", "sb", "O", "oo", "os", "R", "C", body) as DotKernel;
  } else {
    f = (A, ao, sa, B, bo, sb, O, oo, os, Rn, Cn) => {
      for (let r = 0; r < Rn; r++) {
        for (let c = 0; c < Cn; c++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[ao + r * sa + k] * B[bo + c * sb + k];
          if (accumulate) O[oo + r * os + c] += s;
          else O[oo + r * os + c] = s;
        }
      }
    };
  }
  jsCache.set(key, f);
  return f;
}

/** JavaScript `axpy` kernel (B k-major), fallback without WebAssembly SIMD. */
export function jsAxpyKernel(K: number, accumulate: boolean): DotKernel {
  return (A, ao, sa, B, bo, sb, O, oo, os, R, C) => {
    for (let r = 0; r < R; r++) {
      const a = ao + r * sa;
      const o = oo + r * os;
      if (!accumulate) for (let c = 0; c < C; c++) O[o + c] = 0;
      for (let k = 0; k < K; k++) {
        const x = A[a + k];
        const b = bo + k * sb;
        for (let c = 0; c < C; c++) O[o + c] += x * B[b + c];
      }
    }
  };
}

/** A float32 arena and the kernels over it (WebAssembly SIMD when available). */
export class KernelArena {
  readonly buffer: ArrayBuffer;
  readonly simd: boolean;
  private used = 0;
  private readonly wasmDot: WasmDot | null;
  private readonly wasmAxpy: WasmDot | null;

  /** `floats`: the arena's capacity in float32 entries. `useWasm: false` forces the JS kernels. */
  constructor(floats: number, useWasm = true) {
    const mod = useWasm ? wasmModule() : null;
    const bytes = floats * 4;
    if (mod !== null && wasmApi !== undefined) {
      const memory = new wasmApi.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
      const inst = new wasmApi.Instance(mod, { env: { mem: memory } });
      this.wasmDot = inst.exports.dot as unknown as WasmDot;
      this.wasmAxpy = inst.exports.axpy as unknown as WasmDot;
      this.buffer = memory.buffer;
      this.simd = true;
    } else {
      this.wasmDot = null;
      this.wasmAxpy = null;
      this.buffer = new ArrayBuffer(bytes);
      this.simd = false;
    }
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
  axpy(K: number, accumulate: boolean): DotKernel {
    const w = this.wasmAxpy;
    if (w === null) return jsAxpyKernel(K, accumulate);
    const acc = accumulate ? 1 : 0;
    return (A, ao, sa, B, bo, sb, O, oo, os, R, C) =>
      w((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, acc);
  }

  /** The product kernel for inner dimension K; its arrays must come from `alloc`. */
  dot(K: number, accumulate: boolean): DotKernel {
    const w = this.wasmDot;
    if (w === null) return jsDotKernel(K, accumulate);
    const acc = accumulate ? 1 : 0;
    return (A, ao, sa, B, bo, sb, O, oo, os, R, C) =>
      w((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, acc);
  }
}
