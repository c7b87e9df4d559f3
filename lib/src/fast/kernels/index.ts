/**
 * The kernels of the fused FNN and Transformer engines, compiled from this folder to one
 * WebAssembly SIMD module (`lib/dist/fast/kernels.wasm`) by `lib/scripts/build-kernels.mjs`.
 * AssemblyScript, not TypeScript: `lib/tsconfig.json` leaves this folder out; `tsconfig.json` here
 * gives an editor AssemblyScript's types. The module imports its memory (`env.memory`: the arena
 * of `lib/src/fast/arena.ts`, which holds every buffer) and keeps no state of its own; every shape
 * is an argument, every offset counts float32 entries of that memory.
 */
export { gemm } from "./gemm";
export { softmax } from "./softmax";
export { squaredError, reluMask } from "./loss";
export { adam } from "./adam";
