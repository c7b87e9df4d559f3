/**
 * `--method ours`: the paper's constructions in float64, evaluated on n_test N(0, I) inputs
 * (`test_loss`) and the same inputs scaled by 5 (`test_shift_loss`): MSE as `nn.MSELoss`, or for
 * the classification tasks the trained runs' cross-entropy against the target's soft labels.
 * Streams: models "target"/"frozen", calibration "calibration" (batch_size inputs, as the
 * reference calibrates biases on one batch), self-check "verification" (256 fresh N(0, I) inputs: a
 * calibrated construction is exact on inputs its calibration sample covers, and says so only when
 * this check is at rounding level — see `diagnostics.exactExpected`, `verifiedError`, `warnings`),
 * test "test". Pretrained frozen models need the
 * training engine: pass it as the `pretrain` option (`runExperiment` passes the trainers').
 */
import type { Matrix } from "ml-matrix";
import { ConfigError } from "../errors";
import { constructFNN } from "../construct/fnn";
import { constructTransformer } from "../construct/transformer";
import { VERIFY_INPUTS } from "../construct/verify";
import { relativeError } from "../linalg/matrix";
import { stream } from "../linalg/random";
import { forwardFNN, forwardTransformer } from "../models/forward";
import { argmaxAgreement, binaryAgreement, mse, mseBatch, relativeErrorBatch, taskCrossEntropy } from "../models/metrics";
import { gaussianInputs, scaled, transformerInputs } from "../models/sample";
import { makeTransformerPair } from "../models/targets";
import type { FNN, Transformer } from "../models/types";
import type { ExperimentConfig, ExperimentResult } from "./config";
import { fnnPairFor } from "./setup";

/** Replaces the frozen model by a pretrained one (training engine hook). */
export type Pretrainer = <M extends FNN | Transformer>(config: ExperimentConfig, frozen: M, target: M) => Promise<M>;

/** Options of `runOurs`. */
export interface RunOursOptions {
  /** Pretrains the frozen model (`--pretrained 1`); the construction itself needs no training engine. */
  pretrain?: Pretrainer;
}

async function maybePretrain<M extends FNN | Transformer>(config: ExperimentConfig, frozen: M, target: M, pretrain: Pretrainer | undefined): Promise<M> {
  if (!config.pretrained) return frozen;
  if (pretrain === undefined) throw new ConfigError("--pretrained 1 needs a pretrain option (runExperiment passes the training engine's)");
  return pretrain(config, frozen, target);
}

/** The construction run for one configuration. */
export async function runOurs(config: ExperimentConfig, opts: RunOursOptions = {}): Promise<ExperimentResult> {
  return config.exp === "fnn" ? runOursFNN(config, opts.pretrain) : runOursTransformer(config, opts.pretrain);
}

async function runOursFNN(c: ExperimentConfig, pretrain: Pretrainer | undefined): Promise<ExperimentResult> {
  const pair = fnnPairFor(c);
  const frozen = await maybePretrain(c, pair.frozen, pair.target, pretrain);
  const calibration = gaussianInputs(stream(c.seed, "calibration"), c.width, c.batch_size);
  // the self-check draws inputs like the test inputs, from a stream of its own
  const verify = { inputs: gaussianInputs(stream(c.seed, "verification"), c.width, VERIFY_INPUTS) };
  const built = constructFNN(frozen, pair.target, { rank: c.rank, bias: { mode: "calibrate", inputs: calibration }, verify });
  const X = gaussianInputs(stream(c.seed, "test"), c.width, c.n_test);
  const evalOn = (inputs: Matrix) => {
    const Y = forwardFNN(pair.target, inputs);
    const Yhat = forwardFNN(built.adapted, inputs);
    const loss = c.task === "regression" ? mse(Y, Yhat) : taskCrossEntropy(Y, Yhat, c.task, c.ce_target);
    return { loss, rel: relativeError(Yhat, Y), acc: c.task === "binary" ? binaryAgreement(Y, Yhat) : argmaxAgreement(Y, Yhat) };
  };
  const test = evalOn(X);
  const shift = evalOn(scaled(X, 5));
  return {
    test_loss: test.loss,
    test_shift_loss: shift.loss,
    ...(c.task !== "regression" ? { accuracy: test.acc, shift_accuracy: shift.acc } : {}),
    diagnostics: { ...built.diagnostics, relative_error: test.rel, shift_relative_error: shift.rel },
  };
}

async function runOursTransformer(c: ExperimentConfig, pretrain: Pretrainer | undefined): Promise<ExperimentResult> {
  const pair = makeTransformerPair({ width: c.width, depth: c.target_depth, heads: c.n_head, seed: c.seed });
  const frozen = await maybePretrain(c, pair.frozen, pair.target, pretrain);
  const verify = { inputs: transformerInputs(stream(c.seed, "verification"), c.width, c.seq_length, 16) };
  const built = constructTransformer(frozen, pair.target, c.rank, { verify });
  const Xs = transformerInputs(stream(c.seed, "test"), c.width, c.seq_length, c.n_test);
  const evalOn = (inputs: Matrix[]) => {
    const Y = forwardTransformer(pair.target, inputs);
    const Yhat = forwardTransformer(built.adapted, inputs);
    return { loss: mseBatch(Y, Yhat), rel: relativeErrorBatch(Yhat, Y) };
  };
  const test = evalOn(Xs);
  const shift = evalOn(Xs.map((X) => scaled(X, 5)));
  return {
    test_loss: test.loss,
    test_shift_loss: shift.loss,
    diagnostics: { ...built.diagnostics, relative_error: test.rel, shift_relative_error: shift.rel },
  };
}
