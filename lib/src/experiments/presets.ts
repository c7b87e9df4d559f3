/**
 * Sweep presets: one per experiment of PAPER.md §3. A preset expanded under a budget is the list
 * of runs (configuration + figure labels); the grid (lr × weight decay) multiplies only the
 * trained methods, the seeds multiply everything.
 */
import { ConfigError } from "../errors";
import type { Task } from "../tf/task";
import { DEFAULT_CONFIG } from "./config";
import { BUDGETS, type Budget } from "./sweep/budgets";
import { cellKey, topConfigurationsFromFile, type GridPoint } from "./sweep/reduced-grid";
import { runId } from "./sweep/run-id";
import type { BudgetName, FrozenKind, Method, RunSpec, SweepConfig } from "./sweep/types";

export const PRESET_NAMES = [
  "linear",
  "fnn",
  "tfn",
  "tfn-grad",
  "flt",
  "biases",
  "curves",
  "generalisation",
  "classification",
  "classification-softmax",
  "classification-protocol",
  "shift",
  "depth",
  "rank-allocation",
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function parsePreset(name: string): PresetName {
  if ((PRESET_NAMES as readonly string[]).includes(name)) return name as PresetName;
  throw new ConfigError(`preset ${name} is not one of ${PRESET_NAMES.join(", ")}`);
}

/** What each preset reproduces (PAPER.md §3 figure numbers), for the CLI and the README. */
export const PRESET_DESCRIPTIONS: Readonly<Record<PresetName, string>> = {
  linear: "(1) linear model, L̄=1, L=2: test MSE vs rank, random and pretrained frozen models",
  fnn: "(2) ReLU FNN, L̄=1/L=2 and L̄=2/L=4: test MSE vs rank",
  tfn: "(3) Transformer, L=1 and L=2, D=16, H=2: test MSE vs rank",
  "tfn-grad":
    "(3, gradient) Transformer gradient LoRA, random frozen model, L=1 and L=2, ranks 1, 4, 7, 8, 16; paper budget: the full lr × weight-decay grid on seed 0, its 3 best configurations (by validation loss) on seeds 1–4",
  flt: "(4) LoRA vs final-layers tuning, L̄=1, L=8: MSE vs tunable parameters",
  biases: "(5) fixed vs updatable biases (gradient LoRA), L̄=1, L=2",
  curves: "(6) training curves for ranks 1, 4, 8, 13, 16, L̄=1, L=2",
  generalisation: "(7) finite training set of 400·L̄ samples, full batch",
  classification: "(8) classification accuracy vs rank: multi-class (argmax of 16) and binary (two halves); the reference objective (cross-entropy against the raw target outputs, best step by validation accuracy)",
  "classification-softmax": "(8') the classification preset with the soft-label objective (cross-entropy against softmax(f̄), best step by validation loss)",
  "classification-protocol":
    "(8'') binary classification under the reference's protocol as it ran (reference objective): one fixed training batch of batch_size inputs (run_exp.py re-seeds torch inside val() and test(), so its per-step batch repeats) and/or the final model tested (its default --best_epoch 0); ranks 1, 2, 4, 8, 12, 16",
  shift: "(9) distribution shift: test inputs scaled by 5",
  depth: "(10) frozen-depth sweep, L̄=1, L ∈ {2..14}",
  "rank-allocation": "(11) per-layer rank allocation R_l = R + l·rank_step, L̄=1, L=4",
};

const D = 16;
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
/** Ranks 1..16, or a subset keeping both sides of the threshold 8. */
const ranksFor = (b: Budget): number[] => (b.grid === "full" ? range(1, D) : [1, 2, 4, 7, 8, 12, 16]);

interface PointSpec {
  point: string;
  variant?: string;
  exp?: "fnn" | "tfn";
  targetDepth: number;
  frozenDepth: number;
  activation?: "relu" | "linear";
  useBias?: 0 | 1;
  tuneBias?: 0 | 1;
  task?: Task;
  /** Classification objective (default `raw`, the reference). */
  ceTarget?: "raw" | "softmax";
  nTrain?: number;
  /**
   * Train on one fixed set of `batch_size` inputs for the budget's steps (full batch), as the
   * reference's FNN loop does in effect (its per-step draw repeats after `set_seed` in val/test).
   */
  fixedBatch?: boolean;
  /** `best_epoch` (default 1: test at the best-validation step; 0: the final model, run_exp.py's default). */
  bestEpoch?: 0 | 1;
  methods: readonly Method[];
  frozen: readonly FrozenKind[];
  /** The (lr, weight decay) configurations of one seed and x (default: the budget's full grid). */
  gridOf?: (seed: number, x: number) => ReadonlyArray<readonly [number, number]>;
  /** x values: ranks (ours/sgd) or last-layer counts (flt). */
  ranks: readonly number[];
  lastLayers?: readonly number[];
  rankSteps?: readonly number[];
  xName?: string;
  threshold: number;
}

/**
 * Per-preset scaling of the scaled-down budgets. A Transformer LoRA run costs ~10 FNN runs on a CPU
 * (wasm, measured on a shared 2-core machine: ~20 s for 150 steps at N=10, H=2), so the `course`
 * budget trains the Transformer on seed 0 only for 150 steps (its constructions still use every
 * seed). `paper` is never adjusted.
 */
export const PRESET_ADJUSTMENTS: Readonly<Partial<Record<PresetName, Partial<Record<BudgetName, { trainedSeeds?: number; steps?: number }>>>>> = {
  tfn: { course: { trainedSeeds: 1, steps: 150 }, quick: { steps: 20 } },
};

function baseConfig(b: Budget): SweepConfig {
  const { json: _json, wandb: _wandb, task: _task, ce_target: _ce, ...rest } = DEFAULT_CONFIG;
  return {
    ...rest,
    width: D,
    batch_size: b.batchSize,
    n_test: b.nTest,
    n_epochs: b.steps,
    pretrained_epochs: b.pretrainEpochs,
    best_epoch: 1,
    task: "regression",
    val_every: b.valEvery,
    n_val: b.nVal,
  };
}

function lora(rank: number, rankStep: number, L: number): number {
  let total = 0;
  for (let l = 0; l < L; l++) total += Math.min(D, Math.max(1, rank + l * rankStep));
  return total;
}

/** Expands one panel into runs. */
function expandPoint(preset: PresetName, b: Budget, p: PointSpec): RunSpec[] {
  const out: RunSpec[] = [];
  const base = baseConfig(b);
  const adjust = PRESET_ADJUSTMENTS[preset]?.[b.name] ?? {};
  const steps = adjust.steps ?? b.steps;
  for (const seed of b.seeds) {
    for (const frozen of p.frozen) {
      for (const method of p.methods) {
        if (method !== "ours" && adjust.trainedSeeds !== undefined && b.seeds.indexOf(seed) >= adjust.trainedSeeds) continue;
        const xs = method === "flt" ? (p.lastLayers ?? []) : p.ranks;
        for (const x of xs) {
          for (const rankStep of p.rankSteps ?? [0]) {
            const grid = method === "ours" ? [[0, 0]] : p.gridOf ? p.gridOf(seed, x) : b.lrs.flatMap((lr) => b.weightDecays.map((wd) => [lr, wd]));
            for (const [lr, wd] of grid) {
              const config: SweepConfig = {
                ...base,
                exp: p.exp ?? "fnn",
                target_depth: p.targetDepth,
                frozen_depth: p.frozenDepth,
                activation: p.activation ?? "relu",
                use_bias: p.useBias ?? 1,
                tune_bias: p.tuneBias ?? 1,
                task: p.task ?? "regression",
                ...((p.task ?? "regression") !== "regression" && p.ceTarget !== "softmax" ? { ce_target: "raw" as const } : {}),
                n_train: p.fixedBatch ? b.batchSize : (p.nTrain ?? 0),
                ...(p.bestEpoch !== undefined ? { best_epoch: p.bestEpoch } : {}),
                method,
                rank: method === "flt" ? 1 : x,
                last_layers: method === "flt" ? x : 1,
                rank_step: rankStep,
                pretrained: frozen === "pretrained" ? 1 : 0,
                seed,
                lr: method === "ours" ? 0 : lr,
                weight_decay: method === "ours" ? 0 : wd,
                n_epochs: method === "ours" ? 0 : p.nTrain && !p.fixedBatch ? b.finiteSteps : steps,
              };
              const L = p.frozenDepth;
              const totalRank = lora(x, rankStep, L);
              const params = method === "flt" ? x * D * D : 2 * D * totalRank;
              const xName = method === "flt" ? "last_layers" : (p.xName ?? "rank");
              out.push({
                id: runId(config),
                preset,
                point: p.point,
                variant: p.variant ?? (p.rankSteps ? `rank_step=${rankStep}` : ""),
                method,
                frozen,
                xName,
                x: xName === "total_rank" ? totalRank : x,
                seed,
                params,
                threshold: p.threshold,
                config,
              });
            }
          }
        }
      }
    }
  }
  return out;
}

/** Configurations of seed 0 kept for the other seeds in `tfn-grad` (see `sweep/reduced-grid.ts`). */
export const TFN_TOP = 3;

const BOTH: readonly FrozenKind[] = ["random", "pretrained"];
const RANDOM: readonly FrozenKind[] = ["random"];

function points(preset: PresetName, b: Budget): PointSpec[] {
  const ranks = ranksFor(b);
  const fnn12 = { point: "L̄=1, L=2", targetDepth: 1, frozenDepth: 2, threshold: 8 };
  const fnn24 = { point: "L̄=2, L=4", targetDepth: 2, frozenDepth: 4, threshold: 8 };
  switch (preset) {
    case "linear":
      return [{ ...fnn12, activation: "linear", useBias: 0, tuneBias: 0, methods: ["ours", "sgd"], frozen: BOTH, ranks }];
    case "fnn":
      return [fnn12, fnn24].map((p) => ({ ...p, methods: ["ours", "sgd"], frozen: BOTH, ranks }));
    case "tfn":
      return [1, 2].map((L) => ({ point: `L=${L}`, exp: "tfn", targetDepth: L, frozenDepth: L, methods: ["ours", "sgd"], frozen: BOTH, ranks, threshold: D / 2 }));
    case "tfn-grad": {
      const full = b.lrs.flatMap((lr) => b.weightDecays.map((wd) => [lr, wd] as const));
      const reduce = full.length > TFN_TOP && b.seeds.length > 1;
      const top = reduce ? topConfigurationsFromFile("tfn-grad", b.name, b.seeds[0], full.length, TFN_TOP) : new Map<string, GridPoint[]>();
      return [1, 2].map((L) => {
        const point = `L=${L}`;
        return {
          point,
          variant: reduce ? `grid=${full.length} on seed ${b.seeds[0]}, its best ${TFN_TOP} on the other seeds` : "",
          exp: "tfn",
          targetDepth: L,
          frozenDepth: L,
          methods: ["sgd"],
          frozen: RANDOM,
          ranks: [1, 4, 7, 8, 16],
          threshold: D / 2,
          gridOf: (seed: number, x: number) => (!reduce || seed === b.seeds[0] ? full : (top.get(cellKey(point, x)) ?? [])),
        };
      });
    }
    case "flt": {
      const ks = b.grid === "full" ? range(1, 8) : [1, 2, 4, 6, 8];
      return [{ point: "L̄=1, L=8", targetDepth: 1, frozenDepth: 8, methods: ["ours", "sgd", "flt"], frozen: BOTH, ranks: ks, lastLayers: ks, threshold: 2 }];
    }
    case "biases":
      return ([1, 0] as const).map((t) => ({ ...fnn12, variant: `tune_bias=${t}`, tuneBias: t, methods: ["sgd"], frozen: BOTH, ranks }));
    case "curves":
      return [{ ...fnn12, methods: ["sgd"], frozen: RANDOM, ranks: [1, 4, 8, 13, 16] }];
    case "generalisation":
      return [
        { ...fnn12, nTrain: 400, methods: ["ours", "sgd"], frozen: RANDOM, ranks },
        { ...fnn24, nTrain: 800, methods: ["ours", "sgd"], frozen: RANDOM, ranks },
      ];
    case "classification":
    case "classification-softmax": {
      const ceTarget = preset === "classification" ? "raw" : "softmax";
      return [
        { ...fnn12, variant: "task=classification", task: "classification", ceTarget, methods: ["ours", "sgd"], frozen: RANDOM, ranks },
        { ...fnn12, variant: "task=binary", task: "binary", ceTarget, methods: ["sgd"], frozen: RANDOM, ranks },
      ];
    }
    case "classification-protocol": {
      // Which part of the reference's protocol moves the binary plateau: the repeated training batch,
      // testing the final model, or both (the committed `classification` preset: fresh batches, best step).
      const bin = { ...fnn12, task: "binary" as const, ceTarget: "raw" as const, methods: ["sgd"] as const, frozen: RANDOM, ranks: b.grid === "full" ? [1, 2, 4, 8, 12, 16] : [2, 8, 16] };
      return [
        { ...bin, variant: "fresh batches, last step", bestEpoch: 0 },
        { ...bin, variant: "one fixed batch, best step", fixedBatch: true },
        { ...bin, variant: "one fixed batch, last step", fixedBatch: true, bestEpoch: 0 },
      ];
    }
    case "shift":
      return [{ ...fnn12, methods: ["ours", "sgd"], frozen: BOTH, ranks }];
    case "depth": {
      const Ls = b.grid === "full" ? range(2, 14) : [2, 4, 8, 14];
      const rs = b.grid === "full" ? [1, 2, 4] : [1, 2];
      return Ls.map((L) => ({
        point: `L=${L}`,
        targetDepth: 1,
        frozenDepth: L,
        methods: ["ours", "sgd"],
        frozen: RANDOM,
        ranks: rs,
        threshold: Math.ceil(D / L),
      }));
    }
    case "rank-allocation":
      return [
        {
          point: "L̄=1, L=4",
          targetDepth: 1,
          frozenDepth: 4,
          methods: ["sgd"],
          frozen: RANDOM,
          ranks: b.grid === "full" ? [1, 2, 3, 4] : [2, 4],
          rankSteps: b.grid === "full" ? [-2, -1, 0, 1, 2] : [-1, 0, 1],
          xName: "total_rank",
          threshold: 16,
        },
      ];
  }
}

/** All runs of a preset under a budget (ids unique within the preset). */
export function expandPreset(preset: PresetName, budget: BudgetName | Budget): RunSpec[] {
  const b = typeof budget === "string" ? BUDGETS[budget] : budget;
  const runs = points(preset, b).flatMap((p) => expandPoint(preset, b, p));
  const seen = new Set<string>();
  return runs.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
}
