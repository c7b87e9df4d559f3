/**
 * Kernels of the fused Transformer and FNN engines over one float32 arena.
 *
 * The engines need three: the product `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + k·sb + c]`
 * (B stored k-major, `[K, C]`), the same with a bias row and an optional ReLU (a dense layer), and
 * a row softmax. When the runtime has WebAssembly SIMD (Node ≥ 16.4) they run in a tiny module
 * assembled here byte by byte — the product as f32x4 multiply-adds over blocks of 16 and 4 output
 * columns, the softmax with a vectorised `exp` — on a `WebAssembly.Memory` that holds every buffer
 * the engine uses: the arrays are `Float32Array` views into it and a call passes their element
 * offsets. On wasm at D = 16 the product runs ≈ 3x faster than the best unrolled JavaScript, and the
 * softmax ≈ 8x faster than `Math.exp`. Without SIMD the arena is a plain buffer and the kernels are
 * plain JavaScript loops (same results to float32 rounding).
 */

/** Arguments of a product: A with its offset and row stride, B (k-major) likewise, the output, R rows × C columns. */
type ProductArgs = [A: Float32Array, ao: number, sa: number, B: Float32Array, bo: number, sb: number, O: Float32Array, oo: number, os: number, R: number, C: number];

/** `O[oo + r·os + c] (=|+=) Σ_k A[ao + r·sa + k] · B[bo + k·sb + c]` for r < R, c < C (K fixed). */
export type ProductKernel = (...args: ProductArgs) => void;

/** `O[oo + r·os + c] = [ReLU](bias[c] + Σ_k A[ao + r·sa + k] · B[bo + k·sb + c])` (B k-major). */
export type BiasKernel = (...args: [...rest: ProductArgs, bias: Float32Array]) => void;

/** Row softmax in place: `rows` rows of N entries at `P[po + r·stride]` (stride ≥ N rounded up to 4). */
export type SoftmaxKernel = (P: Float32Array, po: number, rows: number, N: number, stride: number) => void;

type WasmProduct = (ao: number, sa: number, bo: number, sb: number, oo: number, os: number, R: number, C: number, K: number, flags: number, bias: number, ska: number) => void;
type WasmSoftmax = (po: number, rows: number, N: number, stride: number) => void;
type WasmSquaredError = (po: number, yo: number, go: number, n: number, c: number, relu: number) => number;
type WasmReluMask = (po: number, zo: number, n: number) => void;
type WasmAdam = (...args: number[]) => void;

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

// Product kernels: parameters 0..11 ao sa bo sb oo os R C K flags bias ska (flags: 1 accumulate,
// 2 ReLU on the result, 4 start from the bias row `bias[c]`; ska: A's stride along k); locals
// 12..20 r c k pa pb t ska4 pa2 c0 (i32), 21 s (f32), 22.. v128.
const [AO, SA, BO, SB, OO, OS, R_, C_, K_, FLAGS, BIAS, SKA] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const [R, C, K, PA, PB, T, SKA4, PA2, C0, S, V0] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
const FLAG_ACC = 1;
const FLAG_RELU = 2;
const FLAG_BIAS = 4;

const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const f32c = (v: number): number[] => [0x43, ...new Uint8Array(new Float32Array([v]).buffer)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const ADD = 0x6a;
const SUB = 0x6b;
const MUL = 0x6c;
const AND = 0x71;
const SHL = 0x74;
const LT_S = 0x48;
const GE_S = 0x4e;
const F32_ADD = 0x92;
const F32_MUL = 0x94;
const F32_DIV = 0x95;
const F32_MAX = 0x97;
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const IF = [0x04, 0x40];
const ELSE = 0x05;
const END = 0x0b;
const br = (d: number): number[] => [0x0c, ...uleb(d)];
const brIf = (d: number): number[] => [0x0d, ...uleb(d)];
const inc = (i: number, by: number): number[] => [...get(i), ...i32c(by), ADD, ...set(i)];
const F32_LOAD = [0x2a, 0x02, 0x00];
const F32_STORE = [0x38, 0x02, 0x00];
const vload = (offset: number): number[] => [...simd(0x00), 0x00, ...uleb(offset)];
const vstore = (offset: number): number[] => [...simd(0x0b), 0x00, ...uleb(offset)];
const VZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const F32X4_SPLAT = simd(0x13);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_MAX = simd(0xe9);
const F32X4_GT = simd(0x44);
const V128_AND = simd(0x4e);
const f32x4Lane = (lane: number): number[] => [...simd(0x1f), lane];
const F32_SUB = 0x93;
const F32_SQRT = 0x91;
const F32X4_SQRT = simd(0xe3);
const F32X4_DIV = simd(0xe7);
const F32_GT = 0x5e;
const SELECT = 0x1b;
const F32X4_NEAREST = simd(0x6a);
const I32X4_SPLAT = simd(0x11);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8);
const I32X4_ADD = simd(0xae);
const I32X4_SHL = simd(0xab);
const flag = (f: number): number[] => [...get(FLAGS), ...i32c(f), AND];
/** `if (flags & f) { … }` */
const ifFlag = (f: number, body: number[], otherwise: number[] = []): number[] =>
  otherwise.length === 0 ? [...flag(f), ...IF, ...body, END] : [...flag(f), ...IF, ...body, ELSE, ...otherwise, END];
/** `while (a < b) { body }` on i32 locals (body at depth 0 of the loop: `br(0)` continues). */
const whileLt = (a: number[], b: number[], body: number[]): number[] => [...BLOCK, ...LOOP, ...a, ...b, GE_S, ...brIf(1), ...body, ...br(0), END, END];
/** pa ← byte address of `O[oo + r·os + c]`. */
const outAddr = [...get(OO), ...get(R), ...get(OS), MUL, ADD, ...get(C), ADD, ...i32c(2), SHL, ...set(PA)];
/** Scalar epilogue on s (accumulate, ReLU) and store at pa. */
const scalarStore = [
  ...ifFlag(FLAG_ACC, [...get(S), ...get(PA), ...F32_LOAD, F32_ADD, ...set(S)]),
  ...ifFlag(FLAG_RELU, [...get(S), ...f32c(0), F32_MAX, ...set(S)]),
  ...get(PA), ...get(S), ...F32_STORE,
];
/** s ← bias[c] or 0. */
const scalarInit = ifFlag(FLAG_BIAS, [...get(BIAS), ...get(C), ADD, ...i32c(2), SHL, ...F32_LOAD, ...set(S)], [...f32c(0), ...set(S)]);

function funcBody(localGroups: [number, number][], code: number[]): number[] {
  const locals = [...uleb(localGroups.length), ...localGroups.flatMap(([n, t]) => [...uleb(n), t])];
  const body = [...locals, ...code, END];
  return [...uleb(body.length), ...body];
}

/** One column block of `w` f32x4 accumulators (4·w columns) at column c, row r (axpy form). */
function axpyBlock(w: number): number[] {
  const AV = V0 + 4; // the splat of A[r, k]
  const SB4 = T;
  const code: number[] = [];
  const initBias: number[] = [...get(BIAS), ...get(C), ADD, ...i32c(2), SHL, ...set(PA)];
  for (let i = 0; i < w; i++) initBias.push(...get(PA), ...vload(16 * i), ...set(V0 + i));
  const initZero: number[] = [];
  for (let i = 0; i < w; i++) initZero.push(...VZERO, ...set(V0 + i));
  code.push(...ifFlag(FLAG_BIAS, initBias, initZero));
  code.push(
    ...get(AO), ...get(R), ...get(SA), MUL, ADD, ...i32c(2), SHL, ...set(PA),
    ...get(BO), ...get(C), ADD, ...i32c(2), SHL, ...set(PB),
    ...i32c(0), ...set(K),
  );
  const step: number[] = [...get(PA), ...F32_LOAD, ...F32X4_SPLAT, ...set(AV)];
  for (let i = 0; i < w; i++) step.push(...get(V0 + i), ...get(AV), ...get(PB), ...vload(16 * i), ...F32X4_MUL, ...F32X4_ADD, ...set(V0 + i));
  step.push(...get(PA), ...get(SKA4), ADD, ...set(PA), ...get(PB), ...get(SB4), ADD, ...set(PB), ...inc(K, 1));
  code.push(...whileLt(get(K), get(K_), step));
  code.push(...outAddr);
  const acc: number[] = [];
  for (let i = 0; i < w; i++) acc.push(...get(V0 + i), ...get(PA), ...vload(16 * i), ...F32X4_ADD, ...set(V0 + i));
  code.push(...ifFlag(FLAG_ACC, acc));
  const relu: number[] = [];
  for (let i = 0; i < w; i++) relu.push(...get(V0 + i), ...VZERO, ...F32X4_MAX, ...set(V0 + i));
  code.push(...ifFlag(FLAG_RELU, relu));
  for (let i = 0; i < w; i++) code.push(...get(PA), ...get(V0 + i), ...vstore(16 * i));
  code.push(...inc(C, 4 * w));
  return code;
}

/**
 * Rows r and r+1 at once over 16 columns at c: 8 f32x4 accumulators, each B vector loaded once for
 * both rows (half the loads per multiply-add of the one-row block).
 */
function axpyPairBlock(): number[] {
  const [AV0, AV1, BV] = [V0 + 8, V0 + 9, V0 + 10];
  const SB4 = T;
  const code: number[] = [];
  const initBias: number[] = [...get(BIAS), ...get(C), ADD, ...i32c(2), SHL, ...set(PA)];
  for (let i = 0; i < 4; i++) initBias.push(...get(PA), ...vload(16 * i), ...set(V0 + i), ...get(V0 + i), ...set(V0 + 4 + i));
  const initZero: number[] = [];
  for (let i = 0; i < 8; i++) initZero.push(...VZERO, ...set(V0 + i));
  code.push(...ifFlag(FLAG_BIAS, initBias, initZero));
  code.push(
    ...get(AO), ...get(R), ...get(SA), MUL, ADD, ...i32c(2), SHL, ...set(PA),
    ...get(PA), ...get(SA), ...i32c(2), SHL, ADD, ...set(PA2),
    ...get(BO), ...get(C), ADD, ...i32c(2), SHL, ...set(PB),
    ...i32c(0), ...set(K),
  );
  const step: number[] = [
    ...get(PA), ...F32_LOAD, ...F32X4_SPLAT, ...set(AV0),
    ...get(PA2), ...F32_LOAD, ...F32X4_SPLAT, ...set(AV1),
  ];
  for (let i = 0; i < 4; i++) {
    step.push(
      ...get(PB), ...vload(16 * i), ...set(BV),
      ...get(V0 + i), ...get(AV0), ...get(BV), ...F32X4_MUL, ...F32X4_ADD, ...set(V0 + i),
      ...get(V0 + 4 + i), ...get(AV1), ...get(BV), ...F32X4_MUL, ...F32X4_ADD, ...set(V0 + 4 + i),
    );
  }
  step.push(
    ...get(PA), ...get(SKA4), ADD, ...set(PA),
    ...get(PA2), ...get(SKA4), ADD, ...set(PA2),
    ...get(PB), ...get(SB4), ADD, ...set(PB),
    ...inc(K, 1),
  );
  code.push(...whileLt(get(K), get(K_), step));
  for (let row = 0; row < 2; row++) {
    // pa ← byte address of O[r + row, c]
    code.push(...get(OO), ...get(R), ...i32c(row), ADD, ...get(OS), MUL, ADD, ...get(C), ADD, ...i32c(2), SHL, ...set(PA));
    const base = V0 + 4 * row;
    const acc: number[] = [];
    for (let i = 0; i < 4; i++) acc.push(...get(base + i), ...get(PA), ...vload(16 * i), ...F32X4_ADD, ...set(base + i));
    code.push(...ifFlag(FLAG_ACC, acc));
    const relu: number[] = [];
    for (let i = 0; i < 4; i++) relu.push(...get(base + i), ...VZERO, ...F32X4_MAX, ...set(base + i));
    code.push(...ifFlag(FLAG_RELU, relu));
    for (let i = 0; i < 4; i++) code.push(...get(PA), ...get(base + i), ...vstore(16 * i));
  }
  code.push(...inc(C, 16));
  return code;
}

/**
 * axpy form: `O[r, c] = Σ_k A[r, k] B[k, c]`, f32x4 over c: pairs of rows in blocks of 16 columns,
 * then each row's remaining columns (blocks of 16 and 4, scalar tail), and a last odd row alone.
 */
function axpyBody(): number[] {
  const SB4 = T;
  const blockLoop = (w: number): number[] => [
    ...BLOCK, ...LOOP,
    ...get(C_), ...get(C), SUB, ...i32c(4 * w), LT_S, ...brIf(1),
    ...axpyBlock(w),
    ...br(0), END, END,
  ];
  const scalarColumn = [
    ...scalarInit,
    ...get(AO), ...get(R), ...get(SA), MUL, ADD, ...i32c(2), SHL, ...set(PA),
    ...get(BO), ...get(C), ADD, ...i32c(2), SHL, ...set(PB),
    ...i32c(0), ...set(K),
    ...whileLt(get(K), get(K_), [
      ...get(S), ...get(PA), ...F32_LOAD, ...get(PB), ...F32_LOAD, F32_MUL, F32_ADD, ...set(S),
      ...get(PA), ...get(SKA4), ADD, ...set(PA), ...get(PB), ...get(SB4), ADD, ...set(PB), ...inc(K, 1),
    ]),
    ...outAddr,
    ...scalarStore,
    ...inc(C, 1),
  ];
  const rowFrom = (c: number[]): number[] => [...c, ...set(C), ...blockLoop(4), ...blockLoop(1), ...whileLt(get(C), get(C_), scalarColumn)];
  const pairLoop = [
    ...BLOCK, ...LOOP,
    ...get(C_), ...get(C), SUB, ...i32c(16), LT_S, ...brIf(1),
    ...axpyPairBlock(),
    ...br(0), END, END,
  ];
  const code = [
    ...get(SB), ...i32c(2), SHL, ...set(SB4),
    ...get(SKA), ...i32c(2), SHL, ...set(SKA4),
    ...i32c(0), ...set(R),
    // while (r + 1 < R): the pair's 16-column blocks, then rows r and r + 1 from the first column left
    ...BLOCK, ...LOOP,
    ...get(R), ...i32c(1), ADD, ...get(R_), GE_S, ...brIf(1),
    ...i32c(0), ...set(C),
    ...pairLoop,
    ...get(C), ...set(C0),
    ...rowFrom(get(C0)),
    ...inc(R, 1),
    ...rowFrom(get(C0)),
    ...inc(R, 1),
    ...br(0), END, END,
    ...whileLt(get(R), get(R_), [...rowFrom(i32c(0)), ...inc(R, 1)]),
  ];
  return funcBody([[9, I32], [1, F32], [11, V128]], code);
}

/**
 * Row softmax in place: parameters po rows N stride (rows of N entries at `po + r·stride`,
 * stride ≥ N rounded up to 4; the entries past N are scratch). exp by the Cephes expf scheme in
 * f32x4: x = n·ln2 + r, |r| ≤ ln2/2, degree-7 polynomial, 2ⁿ by exponent bits; inputs below
 * −87.3 (after the max shift) give exp(−87.3) ≈ 1e-38 instead of a smaller number.
 */
function softmaxBody(): number[] {
  const [PO, ROWS, NN, STRIDE] = [0, 1, 2, 3];
  const [r, j, p, q] = [4, 5, 6, 7];
  const [mx, sum] = [8, 9];
  const [x, n] = [10, 11];
  const spl = (v: number): number[] => [...f32c(v), ...F32X4_SPLAT];
  const poly = [
    ...spl(1.987569150e-4), ...get(x), ...F32X4_MUL, ...spl(1.3981999507e-3), ...F32X4_ADD,
    ...get(x), ...F32X4_MUL, ...spl(8.3334519073e-3), ...F32X4_ADD,
    ...get(x), ...F32X4_MUL, ...spl(4.1665795894e-2), ...F32X4_ADD,
    ...get(x), ...F32X4_MUL, ...spl(1.6666665459e-1), ...F32X4_ADD,
    ...get(x), ...F32X4_MUL, ...spl(5.0000001201e-1), ...F32X4_ADD,
    ...get(x), ...get(x), ...F32X4_MUL, ...F32X4_MUL,
    ...get(x), ...F32X4_ADD, ...spl(1), ...F32X4_ADD,
  ];
  const expBlock = [
    // x = max(v − mx, −87.3); n = nearest(x·log2e); x = x − n·C1 − n·C2
    ...get(q), ...vload(0), ...get(mx), ...F32X4_SPLAT, ...F32X4_SUB, ...spl(-87.3), ...F32X4_MAX, ...set(x),
    ...get(x), ...spl(1.44269504088896341), ...F32X4_MUL, ...F32X4_NEAREST, ...set(n),
    ...get(x), ...get(n), ...spl(0.693359375), ...F32X4_MUL, ...F32X4_SUB,
    ...get(n), ...spl(-2.12194440e-4), ...F32X4_MUL, ...F32X4_SUB, ...set(x),
    ...get(q),
    ...poly,
    ...get(n), ...I32X4_TRUNC_SAT_F32X4_S, ...i32c(127), ...I32X4_SPLAT, ...I32X4_ADD, ...i32c(23), ...I32X4_SHL,
    ...F32X4_MUL,
    ...vstore(0),
    ...inc(q, 16), ...inc(j, 4),
  ];
  const row = [
    ...get(PO), ...get(r), ...get(STRIDE), MUL, ADD, ...i32c(2), SHL, ...set(p),
    ...get(p), ...F32_LOAD, ...set(mx),
    ...i32c(1), ...set(j), ...get(p), ...i32c(4), ADD, ...set(q),
    ...whileLt(get(j), get(NN), [...get(mx), ...get(q), ...F32_LOAD, F32_MAX, ...set(mx), ...inc(q, 4), ...inc(j, 1)]),
    ...i32c(0), ...set(j), ...get(p), ...set(q),
    ...whileLt(get(j), get(NN), expBlock),
    ...f32c(0), ...set(sum), ...i32c(0), ...set(j), ...get(p), ...set(q),
    ...whileLt(get(j), get(NN), [...get(sum), ...get(q), ...F32_LOAD, F32_ADD, ...set(sum), ...inc(q, 4), ...inc(j, 1)]),
    ...f32c(1), ...get(sum), F32_DIV, ...set(sum),
    ...i32c(0), ...set(j), ...get(p), ...set(q),
    ...whileLt(get(j), get(NN), [...get(q), ...get(q), ...vload(0), ...get(sum), ...F32X4_SPLAT, ...F32X4_MUL, ...vstore(0), ...inc(q, 16), ...inc(j, 4)]),
    ...inc(r, 1),
  ];
  const code = [...i32c(0), ...set(r), ...whileLt(get(r), get(ROWS), row)];
  return funcBody([[4, I32], [2, F32], [2, V128]], code);
}

/**
 * Squared error with its gradient: parameters po yo go n c relu (float offsets, count, the
 * gradient's scale, a flag); returns Σ (P − Y)² (f32x4 partial sums, then the lanes) and writes
 * `G = c·(P − Y)`, zeroed where `relu` and not P > 0. f32x4 over blocks of 4, scalar tail.
 */
function squaredErrorBody(): number[] {
  const [PO, YO, GO, N, CC, RELU] = [0, 1, 2, 3, 4, 5];
  const [i, pa, ya, ga, n4] = [6, 7, 8, 9, 10];
  const [sum, pf, df, gf] = [11, 12, 13, 14];
  const [acc, p, d, cv, g] = [15, 16, 17, 18, 19];
  const code = [
    ...get(PO), ...i32c(2), SHL, ...set(pa),
    ...get(YO), ...i32c(2), SHL, ...set(ya),
    ...get(GO), ...i32c(2), SHL, ...set(ga),
    ...get(N), ...i32c(-4), AND, ...set(n4),
    ...VZERO, ...set(acc),
    ...get(CC), ...F32X4_SPLAT, ...set(cv),
    ...i32c(0), ...set(i),
    ...whileLt(get(i), get(n4), [
      ...get(pa), ...vload(0), ...set(p),
      ...get(p), ...get(ya), ...vload(0), ...F32X4_SUB, ...set(d),
      ...get(acc), ...get(d), ...get(d), ...F32X4_MUL, ...F32X4_ADD, ...set(acc),
      ...get(d), ...get(cv), ...F32X4_MUL, ...set(g),
      ...get(RELU), ...IF, ...get(g), ...get(p), ...VZERO, ...F32X4_GT, ...V128_AND, ...set(g), END,
      ...get(ga), ...get(g), ...vstore(0),
      ...inc(pa, 16), ...inc(ya, 16), ...inc(ga, 16), ...inc(i, 4),
    ]),
    ...f32c(0), ...set(sum),
    ...whileLt(get(i), get(N), [
      ...get(pa), ...F32_LOAD, ...set(pf),
      ...get(pf), ...get(ya), ...F32_LOAD, F32_SUB, ...set(df),
      ...get(sum), ...get(df), ...get(df), F32_MUL, F32_ADD, ...set(sum),
      ...get(df), ...get(CC), F32_MUL, ...set(gf),
      ...get(RELU), ...IF, ...get(gf), ...f32c(0), ...get(pf), ...f32c(0), F32_GT, SELECT, ...set(gf), END,
      ...get(ga), ...get(gf), ...F32_STORE,
      ...inc(pa, 4), ...inc(ya, 4), ...inc(ga, 4), ...inc(i, 1),
    ]),
    ...get(sum),
    ...get(acc), ...f32x4Lane(0), F32_ADD,
    ...get(acc), ...f32x4Lane(1), F32_ADD,
    ...get(acc), ...f32x4Lane(2), F32_ADD,
    ...get(acc), ...f32x4Lane(3), F32_ADD,
  ];
  return funcBody([[5, I32], [4, F32], [5, V128]], code);
}

/** ReLU mask: parameters po zo n; `P[i] = Z[i] > 0 ? P[i] : 0` for i < n (f32x4, scalar tail). */
function reluMaskBody(): number[] {
  const [PO, ZO, N] = [0, 1, 2];
  const [i, pa, za, n4] = [3, 4, 5, 6];
  const code = [
    ...get(PO), ...i32c(2), SHL, ...set(pa),
    ...get(ZO), ...i32c(2), SHL, ...set(za),
    ...get(N), ...i32c(-4), AND, ...set(n4),
    ...i32c(0), ...set(i),
    ...whileLt(get(i), get(n4), [
      ...get(pa), ...get(pa), ...vload(0), ...get(za), ...vload(0), ...VZERO, ...F32X4_GT, ...V128_AND, ...vstore(0),
      ...inc(pa, 16), ...inc(za, 16), ...inc(i, 4),
    ]),
    ...whileLt(get(i), get(N), [
      ...get(pa), ...get(pa), ...F32_LOAD, ...f32c(0), ...get(za), ...F32_LOAD, ...f32c(0), F32_GT, SELECT, ...F32_STORE,
      ...inc(pa, 4), ...inc(za, 4), ...inc(i, 1),
    ]),
  ];
  return funcBody([[4, I32]], code);
}

/**
 * One Adam update (PyTorch's, L2 weight decay added to the gradient) in float32 over n entries:
 * parameters tho mo vo go lro wdo n (float offsets, count) b1 c1 b2 c2 eps bc1 sbc2 (f32:
 * β1, 1−β1, β2, 1−β2, ε, 1−β1ᵗ, √(1−β2ᵗ)). g = G + wd·θ; m ← β1 m + c1 g; v ← β2 v + c2 g²;
 * θ ← θ − (lr/bc1) · m / (√v / sbc2 + ε). f32x4 over blocks of 4, scalar tail.
 */
function adamBody(): number[] {
  const [TH, M, V, G, LR, WD, N] = [0, 1, 2, 3, 4, 5, 6];
  const [B1, C1, B2, C2, EPS, BC1, SBC2] = [7, 8, 9, 10, 11, 12, 13];
  const [i, n4, o] = [14, 15, 16];
  const [th, g, m, v] = [17, 18, 19, 20];
  const [vth, vg, vm, vv] = [21, 22, 23, 24];
  const splats = [25, 26, 27, 28, 29, 30, 31]; // b1 c1 b2 c2 eps bc1 sbc2
  const [sB1, sC1, sB2, sC2, sEPS, sBC1, sSBC2] = splats;
  const at = (base: number): number[] => [...get(base), ...get(o), ADD];
  const vector = [
    ...at(TH), ...vload(0), ...set(vth),
    ...at(G), ...vload(0), ...at(WD), ...vload(0), ...get(vth), ...F32X4_MUL, ...F32X4_ADD, ...set(vg),
    ...get(sB1), ...at(M), ...vload(0), ...F32X4_MUL, ...get(sC1), ...get(vg), ...F32X4_MUL, ...F32X4_ADD, ...set(vm),
    ...at(M), ...get(vm), ...vstore(0),
    ...get(sB2), ...at(V), ...vload(0), ...F32X4_MUL, ...get(sC2), ...get(vg), ...get(vg), ...F32X4_MUL, ...F32X4_MUL, ...F32X4_ADD, ...set(vv),
    ...at(V), ...get(vv), ...vstore(0),
    ...at(TH),
    ...get(vth),
    ...at(LR), ...vload(0), ...get(sBC1), ...F32X4_DIV,
    ...get(vm), ...get(vv), ...F32X4_SQRT, ...get(sSBC2), ...F32X4_DIV, ...get(sEPS), ...F32X4_ADD, ...F32X4_DIV,
    ...F32X4_MUL, ...F32X4_SUB,
    ...vstore(0),
    ...inc(o, 16), ...inc(i, 4),
  ];
  const scalar = [
    ...at(TH), ...F32_LOAD, ...set(th),
    ...at(G), ...F32_LOAD, ...at(WD), ...F32_LOAD, ...get(th), F32_MUL, F32_ADD, ...set(g),
    ...get(B1), ...at(M), ...F32_LOAD, F32_MUL, ...get(C1), ...get(g), F32_MUL, F32_ADD, ...set(m),
    ...at(M), ...get(m), ...F32_STORE,
    ...get(B2), ...at(V), ...F32_LOAD, F32_MUL, ...get(C2), ...get(g), ...get(g), F32_MUL, F32_MUL, F32_ADD, ...set(v),
    ...at(V), ...get(v), ...F32_STORE,
    ...at(TH),
    ...get(th),
    ...at(LR), ...F32_LOAD, ...get(BC1), F32_DIV,
    ...get(m), ...get(v), F32_SQRT, ...get(SBC2), F32_DIV, ...get(EPS), F32_ADD, F32_DIV,
    F32_MUL, F32_SUB,
    ...F32_STORE,
    ...inc(o, 4), ...inc(i, 1),
  ];
  const code = [
    ...[TH, M, V, G, LR, WD].flatMap((b) => [...get(b), ...i32c(2), SHL, ...set(b)]),
    ...[B1, C1, B2, C2, EPS, BC1, SBC2].flatMap((p, j) => [...get(p), ...F32X4_SPLAT, ...set(splats[j])]),
    ...get(N), ...i32c(-4), AND, ...set(n4),
    ...i32c(0), ...set(i), ...i32c(0), ...set(o),
    ...whileLt(get(i), get(n4), vector),
    ...whileLt(get(i), get(N), scalar),
  ];
  return funcBody([[3, I32], [4, F32], [11, V128]], code);
}

/** The kernels' WebAssembly module (exported for tests). */
export function moduleBytes(): Uint8Array {
  const type = [
    0x05,
    0x60, ...uleb(12), ...new Array<number>(12).fill(I32), 0x00,
    0x60, ...uleb(4), ...new Array<number>(4).fill(I32), 0x00,
    0x60, 0x06, I32, I32, I32, I32, F32, I32, 0x01, F32,
    0x60, 0x03, I32, I32, I32, 0x00,
    0x60, 0x0e, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, 0x00,
  ];
  const imports = [0x01, ...str("env"), ...str("mem"), 0x02, 0x00, 0x01];
  const funcs = [0x05, 0x00, 0x01, 0x02, 0x03, 0x04];
  const exports = [
    0x05,
    ...str("axpy"), 0x00, 0x00,
    ...str("softmax"), 0x00, 0x01,
    ...str("sqerr"), 0x00, 0x02,
    ...str("relumask"), 0x00, 0x03,
    ...str("adam"), 0x00, 0x04,
  ];
  const code = [0x05, ...axpyBody(), ...softmaxBody(), ...squaredErrorBody(), ...reluMaskBody(), ...adamBody()];
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

/** JavaScript row softmax (Math.exp), fallback without WebAssembly SIMD. */
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

/** A float32 arena and the kernels over it (WebAssembly SIMD when available). */
export class KernelArena {
  readonly buffer: ArrayBuffer;
  readonly simd: boolean;
  private used = 0;
  private readonly wasmAxpy: WasmProduct | null;
  private readonly wasmSoftmax: WasmSoftmax | null;
  private readonly wasmSquaredError: WasmSquaredError | null;
  private readonly wasmReluMask: WasmReluMask | null;
  private readonly wasmAdam: WasmAdam | null;

  /** `floats`: the arena's capacity in float32 entries. `useWasm: false` forces the JS kernels. */
  constructor(floats: number, useWasm = true) {
    const mod = useWasm ? wasmModule() : null;
    const bytes = floats * 4;
    if (mod !== null && wasmApi !== undefined) {
      const memory = new wasmApi.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
      const inst = new wasmApi.Instance(mod, { env: { mem: memory } });
      this.wasmAxpy = inst.exports.axpy as unknown as WasmProduct;
      this.wasmSoftmax = inst.exports.softmax as unknown as WasmSoftmax;
      this.wasmSquaredError = inst.exports.sqerr as unknown as WasmSquaredError;
      this.wasmReluMask = inst.exports.relumask as unknown as WasmReluMask;
      this.wasmAdam = inst.exports.adam as unknown as WasmAdam;
      this.buffer = memory.buffer;
      this.simd = true;
    } else {
      this.wasmAxpy = null;
      this.wasmSoftmax = null;
      this.wasmSquaredError = null;
      this.wasmReluMask = null;
      this.wasmAdam = null;
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
  axpy(K: number, accumulate: boolean): ProductKernel {
    const w = this.wasmAxpy;
    if (w === null) {
      const opts = { accumulate };
      return (A, ao, sa, B, bo, sb, O, oo, os, R, C) => this.gemm(opts, A, ao, sa, 1, B, bo, sb, O, oo, os, R, C, K);
    }
    const acc = accumulate ? 1 : 0;
    return (A, ao, sa, B, bo, sb, O, oo, os, R, C) =>
      w((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, acc, 0, 1);
  }

  /** `O = [ReLU](A·B + bias)` with B k-major (a dense layer over rows); arrays from `alloc`. */
  biasAxpy(K: number, relu: boolean): BiasKernel {
    const w = this.wasmAxpy;
    if (w === null) return (A, ao, sa, B, bo, sb, O, oo, os, R, C, bias) => this.gemm({ bias, relu }, A, ao, sa, 1, B, bo, sb, O, oo, os, R, C, K);
    const flags = FLAG_BIAS | (relu ? FLAG_RELU : 0);
    return (A, ao, sa, B, bo, sb, O, oo, os, R, C, bias) =>
      w((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, flags, bias.byteOffset >> 2, 1);
  }

  /**
   * The general product on arena arrays: `O[oo + r·os + c] (=|+=) [ReLU](bias[c] +) Σ_{k<K} A[ao + r·sa + k·ska] ·
   * B[bo + k·sb + c]` for r < R, c < C. `ska` ≠ 1 reads A transposed (e.g. `zᵀG` from row-major z).
   */
  gemm(o: GemmOptions, A: Float32Array, ao: number, sa: number, ska: number, B: Float32Array, bo: number, sb: number, O: Float32Array, oo: number, os: number, R: number, C: number, K: number): void {
    const flags = (o.accumulate === true ? FLAG_ACC : 0) | (o.relu === true ? FLAG_RELU : 0) | (o.bias !== undefined ? FLAG_BIAS : 0);
    const w = this.wasmAxpy;
    if (w !== null) {
      w((A.byteOffset >> 2) + ao, sa, (B.byteOffset >> 2) + bo, sb, (O.byteOffset >> 2) + oo, os, R, C, K, flags, o.bias === undefined ? 0 : o.bias.byteOffset >> 2, ska);
      return;
    }
    for (let r = 0; r < R; r++) {
      const a = ao + r * sa;
      const out = oo + r * os;
      for (let c = 0; c < C; c++) {
        let s = o.bias === undefined ? 0 : o.bias[c];
        for (let k = 0; k < K; k++) s += A[a + k * ska] * B[bo + k * sb + c];
        if ((flags & FLAG_ACC) !== 0) s += O[out + c];
        O[out + c] = (flags & FLAG_RELU) !== 0 && !(s > 0) ? 0 : s;
      }
    }
  }

  /**
   * `Σ_{i<n} (P[i] − Y[i])²`, writing `G[i] = c·(P[i] − Y[i])`, zeroed where `relu` and not
   * P[i] > 0 (the squared error's gradient through a ReLU output); arrays from `alloc`.
   */
  squaredError(P: Float32Array, Y: Float32Array, G: Float32Array, n: number, c: number, relu: boolean): number {
    const w = this.wasmSquaredError;
    if (w !== null) return w(P.byteOffset >> 2, Y.byteOffset >> 2, G.byteOffset >> 2, n, c, relu ? 1 : 0);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.fround(P[i] - Y[i]);
      s += d * d;
      G[i] = relu && !(P[i] > 0) ? 0 : d * c;
    }
    return s;
  }

  /** `P[i] = Z[i] > 0 ? P[i] : 0` for i < n (back-propagation through a ReLU); arrays from `alloc`. */
  reluMask(P: Float32Array, Z: Float32Array, n: number): void {
    const w = this.wasmReluMask;
    if (w !== null) return w(P.byteOffset >> 2, Z.byteOffset >> 2, n);
    for (let i = 0; i < n; i++) if (!(Z[i] > 0)) P[i] = 0;
  }

  /**
   * One float32 Adam update of n entries (see `adamBody`): `c` holds β1, 1−β1, β2, 1−β2, ε,
   * 1−β1ᵗ, √(1−β2ᵗ); arrays from `alloc`.
   */
  adam(theta: Float32Array, m: Float32Array, v: Float32Array, grad: Float32Array, lr: Float32Array, wd: Float32Array, n: number, c: AdamConstants): void {
    const w = this.wasmAdam;
    if (w !== null) {
      w(theta.byteOffset >> 2, m.byteOffset >> 2, v.byteOffset >> 2, grad.byteOffset >> 2, lr.byteOffset >> 2, wd.byteOffset >> 2, n, c.beta1, c.c1, c.beta2, c.c2, c.eps, c.bc1, c.sqrtBc2);
      return;
    }
    const f = Math.fround;
    const [b1, c1, b2, c2, eps, bc1, sbc2] = [c.beta1, c.c1, c.beta2, c.c2, c.eps, c.bc1, c.sqrtBc2].map(f);
    for (let i = 0; i < n; i++) {
      const g = f(grad[i] + f(wd[i] * theta[i]));
      const mi = (m[i] = f(f(b1 * m[i]) + f(c1 * g)));
      const vi = (v[i] = f(f(b2 * v[i]) + f(c2 * f(g * g))));
      theta[i] = f(theta[i] - f(f(lr[i] / bc1) * f(mi / f(f(f(Math.sqrt(vi)) / sbc2) + eps))));
    }
  }

  /** Row softmax in place (rows padded to a multiple of 4 entries); arrays from `alloc`. */
  softmax(): SoftmaxKernel {
    const w = this.wasmSoftmax;
    if (w === null) return jsSoftmax;
    return (P, po, rows, N, stride) => w((P.byteOffset >> 2) + po, rows, N, stride);
  }
}
