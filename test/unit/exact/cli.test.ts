// lora-exp: flag parsing (pure), --json output, and the FNN rank curve of the construction.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { ConfigError } from "../../../lib/src/errors";
import { DEFAULT_CONFIG, parseArgs } from "../../../lib/src/experiments/config";
import { main } from "../../../lib/src/experiments/cli";

test("parseArgs: reference defaults, both flag spellings, typed errors", () => {
  assert.deepEqual(parseArgs([]), { ...DEFAULT_CONFIG });
  const c = parseArgs(["--exp", "tfn", "--width=16", "--rank", "8", "--target_depth", "2", "--frozen_depth", "2", "-seed", "3", "--lr", "1e-2", "--json"]);
  assert.equal(c.exp, "tfn");
  assert.equal(c.width, 16);
  assert.equal(c.seed, 3);
  assert.equal(c.lr, 0.01);
  assert.equal(c.json, true);
  const bad: Array<[string[], RegExp]> = [
    [["--width", "16", "--rank", "20"], /rank 20 exceeds width 16/],
    [["--rank", "0"], /rank 0 is below 1/],
    [["--method", "adam"], /--method adam is not one of ours, sgd, flt/],
    [["--use_bias", "2"], /--use_bias expects 0 or 1/],
    [["--width", "x"], /--width expects a number/],
    [["--width", "2.5"], /--width expects an integer/],
    [["--bogus", "1"], /unknown flag --bogus/],
    [["--rank"], /--rank needs a value/],
    [["--target_depth", "3"], /frozen depth 2 is below target depth 3/],
    [["--exp", "tfn"], /needs --target_depth equal to --frozen_depth/],
    [["--rank_step", "1"], /rank_step/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ConfigError && re.test(e.message), argv.join(" "));
  }
  // training flags parse (validated only)
  const t = parseArgs(["--method", "sgd", "--n_epochs", "10", "--weight_decay", "1e-4", "--tune_bias", "0", "--last_layers", "1", "--pretrained", "1", "--pretrained_epochs", "5", "--pretrained_lr", "1e-3", "--pretrained_level", "3", "--task", "classification", "--n_train", "400", "--best_epoch", "1", "--rank_step", "1"]);
  assert.equal(t.n_train, 400);
});

async function runJson(argv: string[]): Promise<{ test_loss: number; test_shift_loss: number; config: { rank: number } }> {
  const lines: string[] = [];
  assert.equal(await main([...argv, "--json"], (l) => lines.push(l)), 0);
  assert.equal(lines.length, 1, "--json prints exactly one line");
  return JSON.parse(lines[0]);
}

test("rank curve: linear FNN, D = 16, L̄ = 1, L = 2 is ~0 exactly from rank 8", async () => {
  const base = ["--exp", "fnn", "--activation", "linear", "--use_bias", "0", "--method", "ours", "--width", "16", "--target_depth", "1", "--frozen_depth", "2", "--n_test", "200"];
  const losses: number[] = [];
  for (let r = 1; r <= 16; r++) losses.push((await runJson([...base, "--rank", String(r)])).test_loss);
  for (let r = 8; r <= 16; r++) assert.ok(losses[r - 1] < 1e-20, `rank ${r}: ${losses[r - 1]}`);
  assert.ok(losses[6] > 1e-4, `rank 7: ${losses[6]}`);
  for (let r = 1; r < 7; r++) assert.ok(losses[r - 1] >= losses[r] * (1 - 1e-9), "loss falls with rank");
});

test("spawned CLI: --json parses, human lines, sgd trains, bad flags exit 2 with the condition", () => {
  const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "lib/src/experiments/cli.ts", ...args], { encoding: "utf8" });
  const j = run(["--exp", "tfn", "--width", "6", "--rank", "3", "--target_depth", "1", "--frozen_depth", "1", "--n_test", "20", "--json"]);
  assert.equal(j.status, 0, j.stderr);
  const obj = JSON.parse(j.stdout);
  assert.ok(obj.test_loss < 1e-15 && Number.isFinite(obj.test_shift_loss));
  assert.equal(obj.config.exp, "tfn");
  const h = run(["--width", "16", "--rank", "8", "--n_test", "50", "--batch_size", "256"]);
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /^Experiment Setting:\n\| exp: fnn/);
  assert.match(h.stdout, /Test loss: .*\nTest loss on shifted test set: /);
  const s = run(["--method", "sgd", "--width", "8", "--rank", "2", "--n_epochs", "20", "--batch_size", "64", "--n_test", "100", "--json"]);
  assert.equal(s.status, 0, s.stderr);
  const trained = JSON.parse(s.stdout);
  assert.ok(Number.isFinite(trained.test_loss) && trained.test_loss > 0, `sgd test loss ${trained.test_loss}`);
  assert.equal(trained.config.method, "sgd");
  const bad = run(["--width", "16", "--rank", "20"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /rank 20 exceeds width 16/);
});
