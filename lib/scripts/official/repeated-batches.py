#!/usr/bin/env python3
"""The official run_exp.py's FNN training batches, measured: run it as it is and with its training
stream kept apart from the seeded validation/test draws, side by side.

run_exp.py's `approx_fnn.val()` and `.test()` start with `set_seed(self.seed)`, which resets torch's
global generator; the next training step's `torch.randn(batch_size, width)` then continues from the
same state every time, so the "fresh Gaussian batch per step" repeats. This script imports the
official module from a clone given on the command line (none of its code is copied here) and:

  count   counts the distinct training batches drawn in N steps (hash of each (batch_size, width) draw
          outside val/test), as-is and with the generator state saved and restored around val/test;
  runs    trains gradient LoRA (the reference's FNN defaults: D=16, L̄=1, L=2, ReLU, biases, std 0.25,
          batch 256, 5000 Adam steps, n_test 5000, --best_epoch 0) for a grid of tasks, ranks, seeds and
          learning rates, in both modes, and records the final model's test loss/accuracy.

Writes JSON lines to --out through a temporary file and a rename. Requires PyTorch (Debian's
python3-torch) and tqdm; wandb is replaced by a no-op module (the runs use log_wandb=0).

  /usr/bin/python3 lib/scripts/official/repeated-batches.py --official /path/to/Expressive_Power_of_LoRA \
      --out data/results/official-repeated-batches.jsonl
"""
import argparse, hashlib, json, os, sys, tempfile, time, types
from collections import Counter


def load_official(path):
    sys.modules.setdefault("wandb", types.SimpleNamespace(init=lambda *a, **k: None, log=lambda *a, **k: None, finish=lambda *a, **k: None))
    sys.path.insert(0, os.path.abspath(path))
    import torch
    torch.set_num_threads(1)
    import run_exp
    return torch, run_exp.approx_fnn


def patch(torch, approx_fnn, mode, tests, in_eval):
    """mode 'as-is': the official methods (recording test results); 'separate': the generator state
    saved before val()/test() and restored after, so training draws never repeat."""
    orig_val, orig_test = approx_fnn.val, approx_fnn.test

    def wrap(f, record):
        def g(self, m):
            st = torch.get_rng_state()
            in_eval[0] += 1
            try:
                out = f(self, m)
            finally:
                in_eval[0] -= 1
                if mode == "separate":
                    torch.set_rng_state(st)
            if record:
                tests.append((float(self.test_loss), getattr(self, "test_accuracy", None)))
            return out
        return g

    approx_fnn.val = wrap(orig_val, False)
    approx_fnn.test = wrap(orig_test, True)


def one(approx_fnn, task, rank, seed, lr, wd, steps):
    return approx_fnn(width=16, target_depth=1, frozen_depth=2, rank=rank, use_bias=1, activation="relu", std=0.25,
                      method="sgd", batch_size=256, n_epochs=steps, lr=lr, n_test=5000, weight_decay=wd, log_wandb=0,
                      init_mode="default", pretrained=0, pretrained_epochs=1000, pretrained_lr=1e-3, pretrained_level=3,
                      tune_bias=1, last_layers=0, seed=seed, rank_step=0, task=task, n_train=float("inf"), best_epoch=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", required=True, help="a clone of UW-Madison-Lee-Lab/Expressive_Power_of_LoRA")
    ap.add_argument("--out", required=True)
    ap.add_argument("--what", choices=["count", "runs", "both"], default="both")
    ap.add_argument("--tasks", default="binary_classification,regression", help="tasks whose batches are counted")
    ap.add_argument("--run-tasks", default="binary_classification", help="tasks trained for --steps")
    ap.add_argument("--ranks", default="4,16")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--lrs", default="0.001")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--count-steps", type=int, default=300)
    ap.add_argument("--official-commit", default=None, help="the clone's commit, when it is not a git work tree")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.official, "run_exp.py")):
        sys.exit(f"--official {a.official}: no run_exp.py there (a clone of the official repository is needed)")
    torch, approx_fnn = load_official(a.official)
    orig = approx_fnn.val, approx_fnn.test
    lines = []
    tests, in_eval, seen = [], [0], []
    randn = torch.randn

    def counting_randn(*args, **kw):
        x = randn(*args, **kw)
        if in_eval[0] == 0 and tuple(x.shape) == (256, 16):
            seen.append(hashlib.sha1(x.numpy().tobytes()).hexdigest())
        return x

    if a.what in ("count", "both"):
        torch.randn = counting_randn
        for task in a.tasks.split(","):
            for mode in ("as-is", "separate"):
                approx_fnn.val, approx_fnn.test = orig
                patch(torch, approx_fnn, mode, tests, in_eval)
                seen.clear()
                one(approx_fnn, task, 4, 0, 1e-3, 0.0, a.count_steps)
                c = Counter(seen)
                lines.append(dict(kind="count", mode=mode, task=task, rank=4, seed=0, lr=1e-3, steps=a.count_steps,
                                  train_draws=len(seen), distinct=len(c), largest_counts=sorted(c.values(), reverse=True)[:3]))
                print(json.dumps(lines[-1]), flush=True)
        torch.randn = randn
    if a.what in ("runs", "both"):
        for task in a.run_tasks.split(","):
            for rank in map(int, a.ranks.split(",")):
                for seed in map(int, a.seeds.split(",")):
                    for lr in map(float, a.lrs.split(",")):
                        for mode in ("as-is", "separate"):
                            approx_fnn.val, approx_fnn.test = orig
                            tests.clear()
                            patch(torch, approx_fnn, mode, tests, in_eval)
                            t = time.time()
                            e = one(approx_fnn, task, rank, seed, lr, 0.0, a.steps)
                            final = tests[-1]
                            lines.append(dict(kind="run", mode=mode, task=task, rank=rank, seed=seed, lr=lr, weight_decay=0.0, steps=a.steps,
                                              final_val_loss=float(e.val_loss), test_loss=final[0], test_accuracy=final[1],
                                              seconds=round(time.time() - t, 1)))
                            print(json.dumps(lines[-1]), flush=True)
    meta = dict(kind="provenance", torch=torch.__version__, python=sys.version.split()[0],
                official_commit=os.popen(f"git -C {a.official} rev-parse HEAD 2>/dev/null").read().strip() or a.official_commit,
                finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(a.out)) or ".", prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        for l in [meta, *lines]:
            f.write(json.dumps(l) + "\n")
        f.flush(); os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
