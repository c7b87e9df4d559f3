/**
 * Budgets: how much work one preset point gets. `paper` is the reference protocol exactly
 * (PAPER.md §3); `course` and `quick` scale it down. The table in data/results/README.md mirrors
 * this file.
 */
import { ConfigError } from "../../errors";
import type { BudgetName } from "./types";

export interface Budget {
  name: BudgetName;
  /** Adam steps of every trained run (online protocol). */
  steps: number;
  /** Adam steps of the finite-training-set runs (generalisation preset, full batch). */
  finiteSteps: number;
  lrs: readonly number[];
  weightDecays: readonly number[];
  seeds: readonly number[];
  batchSize: number;
  nTest: number;
  nVal: number;
  valEvery: number;
  /** Step cap of the pretraining (stops earlier at initial loss / 3). */
  pretrainEpochs: number;
  /** `full`: every rank/depth of the paper; `coarse`: a subset that keeps the thresholds. */
  grid: "full" | "coarse";
  /** Points kept in the stored training curves. */
  historyPoints: number;
}

export const BUDGETS: Readonly<Record<BudgetName, Budget>> = Object.freeze({
  paper: {
    name: "paper",
    steps: 5000,
    finiteSteps: 20000,
    lrs: [1e-2, 1e-3, 1e-4],
    weightDecays: [0, 1e-4, 1e-3, 1e-2],
    seeds: [0, 1, 2, 3, 4],
    batchSize: 256,
    nTest: 5000,
    nVal: 256,
    valEvery: 1,
    pretrainEpochs: 1000,
    grid: "full",
    historyPoints: 100,
  },
  course: {
    name: "course",
    steps: 300,
    finiteSteps: 600,
    lrs: [1e-2],
    weightDecays: [0],
    seeds: [0, 1, 2],
    batchSize: 256,
    nTest: 2000,
    nVal: 256,
    valEvery: 10,
    pretrainEpochs: 1000,
    grid: "coarse",
    historyPoints: 50,
  },
  quick: {
    name: "quick",
    steps: 40,
    finiteSteps: 40,
    lrs: [1e-2],
    weightDecays: [0],
    seeds: [0],
    batchSize: 64,
    nTest: 256,
    nVal: 64,
    valEvery: 10,
    pretrainEpochs: 50,
    grid: "coarse",
    historyPoints: 10,
  },
});

export function parseBudget(name: string): BudgetName {
  if (name === "quick" || name === "course" || name === "paper") return name;
  throw new ConfigError(`budget ${name} is not one of quick, course, paper`);
}
