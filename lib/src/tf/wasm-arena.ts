/** The fused engines' kernel arena now lives with the fast path: `lib/src/fast/arena.ts` (kernels in `lib/src/fast/kernels/`). */
export * from "../fast/arena";
