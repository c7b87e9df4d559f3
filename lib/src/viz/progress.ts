/**
 * A live progress line for training cells: overwritten in place in a notebook, printed at a
 * throttled rate in a terminal.
 */
import { updatableDisplay } from "./display";

/** What trainers report each step. */
export interface ProgressReport {
  step: number;
  steps: number;
  trainLoss: number;
  valLoss?: number;
  stepsPerSec?: number;
}

/** A progress callback that shows `label  step 1200/5000  train 3.1e-3  val 2.9e-3  850 steps/s`. */
export function progressLine(label: string, everyMs = 250): (p: ProgressReport) => void {
  const display = updatableDisplay();
  let last = 0;
  return (p: ProgressReport) => {
    const now = Date.now();
    if (p.step < p.steps && now - last < everyMs) return;
    last = now;
    const parts = [
      label,
      `step ${p.step}/${p.steps}`,
      `train ${p.trainLoss.toExponential(2)}`,
      ...(p.valLoss === undefined ? [] : [`val ${p.valLoss.toExponential(2)}`]),
      ...(p.stepsPerSec === undefined ? [] : [`${Math.round(p.stepsPerSec)} steps/s`]),
    ];
    display.show({ "text/plain": parts.join("  ") });
  };
}

/**
 * A trainer's `onProgress` callback (`(step, trainLoss, valLoss, stepsPerSec)`, as in `TrainSettings`)
 * that shows a live progress line: `trainFNNLoRA(frozen, target, { ..., onProgress: trainingProgress("R = 4", steps) })`.
 */
export function trainingProgress(
  label: string,
  steps: number,
  everyMs = 250,
): (step: number, trainLoss: number, valLoss: number, stepsPerSec: number) => void {
  const show = progressLine(label, everyMs);
  return (step, trainLoss, valLoss, stepsPerSec) =>
    show({ step, steps, trainLoss, ...(Number.isFinite(valLoss) ? { valLoss } : {}), stepsPerSec });
}
