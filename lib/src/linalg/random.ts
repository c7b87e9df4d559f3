/**
 * Seeded randomness with one independent stream per purpose.
 *
 * `stream(seed, "weights")` and `stream(seed, "test")` never share numbers, and the same
 * `(seed, purpose)` pair always yields the same sequence on every platform (pure integer
 * arithmetic, no Math.random).
 */

/** Purposes used across the library; any other string is accepted too. */
export type StreamPurpose =
  | "weights"
  | "target"
  | "frozen"
  | "adapters"
  | "train"
  | "validation"
  | "test"
  | "calibration"
  | "verification"
  | (string & {});

/**
 * FNV-1a over the purpose string, mixed with the seed: the stream's initial 128-bit state.
 */
export function hashSeed(seed: number, purpose: string): [number, number, number, number] {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  const state: number[] = [];
  const text = `${purpose}#${seed}`;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= round * 0x9e3779b9;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    state.push(h === 0 ? 0x9e3779b9 : h);
  }
  return [state[0], state[1], state[2], state[3]];
}

/** A seeded random stream (xoshiro128**), with uniform and Gaussian draws. */
export class RandomStream {
  private s: [number, number, number, number];
  private spareNormal: number | null = null;

  constructor(readonly seed: number, readonly purpose: StreamPurpose) {
    if (!Number.isInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    }
    this.s = hashSeed(seed, purpose);
    for (let i = 0; i < 8; i++) this.nextUint32(); // warm up
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal N(0, 1) (Box–Muller, the spare value is kept). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * `out[start + t·stride] = normal()` for t = 0 … count−1 (stored in the array's type): the same
   * numbers as `count` calls of `normal()`, bit for bit, the spare included, at about twice the speed
   * (the state in locals, `nextUint32` and `uniform` written out). The training engines draw every
   * batch through it.
   */
  fillNormal(out: Float32Array | Float64Array, start = 0, count = out.length - start, stride = 1): void {
    let t = 0;
    if (count > 0 && this.spareNormal !== null) {
      out[start] = this.spareNormal;
      this.spareNormal = null;
      t = 1;
    }
    const s = this.s;
    let s0 = s[0];
    let s1 = s[1];
    let s2 = s[2];
    let s3 = s[3];
    for (; t < count; t += 2) {
      // As normal(): u = uniform() until u ≠ 0, then v = uniform(); each uniform takes two xoshiro128**
      // draws (nextUint32: 27 high bits, then 26 low bits)
      let u = 0;
      let v = 0;
      let hi = 0;
      for (let draw = 0; ; draw++) {
        const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        const w = (s1 << 9) >>> 0;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= w;
        s3 = rotl(s3, 11);
        if ((draw & 1) === 0) {
          hi = r >>> 5;
          continue;
        }
        const x = (hi * 67108864 + (r >>> 6)) / 9007199254740992;
        if (u === 0) u = x;
        else {
          v = x;
          break;
        }
      }
      // Box–Muller, as in normal(): the cosine now, the sine next (or kept as the spare)
      const radius = Math.sqrt(-2 * Math.log(u));
      out[start + t * stride] = radius * Math.cos(2 * Math.PI * v);
      const next = radius * Math.sin(2 * Math.PI * v);
      if (t + 1 < count) out[start + (t + 1) * stride] = next;
      else this.spareNormal = next;
    }
    s[0] = s0 >>> 0;
    s[1] = s1 >>> 0;
    s[2] = s2 >>> 0;
    s[3] = s3 >>> 0;
  }

  /** `n` i.i.d. N(mean, std²) draws. */
  normals(n: number, mean = 0, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** `n` i.i.d. U(low, high) draws. */
  uniforms(n: number, low: number, high: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniformIn(low, high);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The stream for `purpose` under `seed`: independent of every other purpose. */
export function stream(seed: number, purpose: StreamPurpose): RandomStream {
  return new RandomStream(seed, purpose);
}
