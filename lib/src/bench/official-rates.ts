/**
 * The official PyTorch code's training rates, the denominators of the benches' "vs official" ratios:
 * training steps per CPU second of `run_exp.py` (one torch thread, the machine's default), measured
 * side by side with ours by `lib/scripts/bench-official.mjs --fixed-cost` on the course's 2-core AMD
 * EPYC machine, 2026-12-01, library at 75a213c, Debian python3-torch 1.13.1 (README, Performance):
 * FNN (D=16, L̄=1, L=2, rank 4, batch 256, 5000 steps) 1285; Transformer (D=16, H=2, N=10, L=1,
 * rank 4, batch 256, 300 steps, --n_test 64) 58. An earlier session's constants (550 and 20 steps/s)
 * understated the official code and overstated our lead by 2.3–2.9x.
 */
export const OFFICIAL_TRAINING_RATE = { fnn: 1285, tfn: 58 } as const;
