#!/usr/bin/env python3
"""The official Transformer construction (`run_exp.py`'s `approx_tfn.adapt_ours`), run on the official
random models, with those models written out so that our construction can be run on the same weights.

This answers one question of notebook 10 §6: below the threshold (L = 2, R <= 4) our construction's
median test MSE is ×0.44–0.75 the paper's `tfn_approx` "ours" points. Is that a difference between the two
constructions, or between the random models each draws? The script imports the official module from a
clone given on the command line (none of its code is copied here) and, for every seed, depth and rank:

  1. builds the target and frozen TFN exactly as `approx_tfn.__init__` does (`set_seed(seed)`, then
     `init_models`), without calling `__init__` itself, whose `ours` branch crashes at eaeb7d3
     (`self.best_optim` is never set);
  2. runs `adapt_ours()` as it is (float32) and measures the in-distribution test MSE the way `eval()` does
     (`set_seed(seed)`, `n_test` sequences of `torch.randn(n_test, 16, 10)`), the value the official runs log
     to wandb as `test_loss` and the plotting notebook reads (`eval()` itself overwrites `self.test_loss`
     with the shifted set's loss, so it is not read from there);
  3. runs `adapt_ours()` again on a float64 copy of the same models (with float64 the default dtype, so the
     `torch.eye` inside `our_construction` is float64 too) and measures the same MSE in float64;
  4. with --weights-dir, writes the target, the frozen model and the float64 adapted model (merged:
     W + A Bᵀ) as JSON in our Transformer layout, for `lib/scripts/official/tfn-compare.mjs`.

A run whose official construction raises (a matrix `our_construction` inverts is singular in float32: seen
at seed 20 L=2 R=16 and seed 38 L=2 R=11 of seeds 0-49) is recorded as `kind: "failed"` with the error.

It also records a hash of the frozen model's weights: the official frozen model draws its LoRA factors
(whose shapes depend on the rank) between its attention and feed-forward weights, so its feed-forward
weights, output layer and later blocks differ from rank to rank within one seed.

Writes JSON lines to --out through a temporary file and a rename. Requires PyTorch (Debian's
python3-torch) and tqdm; wandb is replaced by a no-op module.

  /usr/bin/python3 lib/scripts/official/tfn-construction.py --official /path/to/Expressive_Power_of_LoRA \
      --official-commit eaeb7d3f265853343b234172ed44cd7623c5212a --seeds 0-49 --ranks 1-16 \
      --out data/results/official-tfn-construction.jsonl [--weights-dir /tmp/tfn-weights --weight-seeds 0-4]
"""
import argparse, contextlib, copy, hashlib, io, json, os, sys, tempfile, time, types


def span(text):
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def load_official(path):
    sys.modules.setdefault("wandb", types.SimpleNamespace(init=lambda *a, **k: None, log=lambda *a, **k: None, finish=lambda *a, **k: None))
    sys.path.insert(0, os.path.abspath(path))
    import torch
    torch.set_num_threads(1)
    import run_exp
    import helper
    return torch, run_exp, helper


def build(run_exp, helper, seed, depth, rank):
    """The models `approx_tfn.__init__` builds, in the same order of random draws (D = 16, H = 2, N = 10)."""
    m = run_exp.approx_tfn.__new__(run_exp.approx_tfn)
    m.seed, m.embed_dim, m.n_head, m.depth, m.rank = seed, 16, 2, depth, rank
    m.batch_size, m.seq_length, m.wandb = 256, 10, 0
    helper.set_seed(seed)
    m.init_models(0.25, 0, 0.1)
    return m


def test_mse(torch, helper, m, adapted, n_test, dtype):
    """`eval()`'s in-distribution half: the same seed, the same draw, the same criterion."""
    helper.set_seed(m.seed)
    X = torch.randn(n_test, m.embed_dim, m.seq_length).to(dtype)
    with torch.no_grad():
        return float(torch.nn.functional.mse_loss(adapted(X), m.target_m(X)))


def quiet(f):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return f()


def as_ours(torch, model, merged):
    """A TFN as our `Transformer` JSON: matrices as row arrays, W + A Bᵀ when `merged`."""
    def mat(t):
        return [[float(v) for v in row] for row in t.detach().to(torch.float64).tolist()]

    def lora(W, ad):
        return W + ad.lora_A @ ad.lora_B.T if merged else W

    blocks = []
    for l, b in enumerate(model.tfblist):
        at = b.attention
        heads = []
        for h in range(at.n_head):
            ws = [at.Wq[h], at.Wk[h], at.Wv[h], at.Wo[h]]
            if merged:
                ws = [lora(w, at.loralist[h * 4 + i]) for i, w in enumerate(ws)]
            heads.append(dict(WQ=mat(ws[0]), WK=mat(ws[1]), WV=mat(ws[2]), WO=mat(ws[3])))
        W2 = b.feed_forward[1].weight
        if merged and b.is_last:
            W2 = lora(W2, b.W2_lora)
        blocks.append(dict(heads=heads, W1=mat(b.feed_forward[0].weight), b1=[float(v) for v in b.feed_forward[0].bias.detach().to(torch.float64)],
                           W2=mat(W2), b2=[float(v) for v in b.feed_forward[1].bias.detach().to(torch.float64)]))
    Wo = model.output_layer.weight
    if merged:
        Wo = lora(Wo, model.output_layer_lora)
    return dict(kind="transformer", width=model.embed_dim, blocks=blocks, Wo=mat(Wo))


def frozen_hash(torch, model):
    h = hashlib.sha1()
    for name, p in sorted(model.state_dict().items()):
        if "lora" not in name:
            h.update(name.encode())
            h.update(p.detach().to(torch.float32).numpy().tobytes())
    return h.hexdigest()[:16]


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)) or ".", prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush(); os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", required=True, help="a clone of UW-Madison-Lee-Lab/Expressive_Power_of_LoRA")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="0-4")
    ap.add_argument("--depths", default="1,2")
    ap.add_argument("--ranks", default="1-8")
    ap.add_argument("--n-test", type=int, default=5000, help="the paper's configs use 5000")
    ap.add_argument("--weights-dir", default=None, help="write target/frozen/adapted JSON here (not committed)")
    ap.add_argument("--weight-seeds", default="0-4", help="seeds whose weights --weights-dir receives")
    ap.add_argument("--official-commit", default=None, help="the clone's commit, when it is not a git work tree")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.official, "run_exp.py")):
        sys.exit(f"--official {a.official}: no run_exp.py there (a clone of the official repository is needed)")
    here = os.path.dirname(os.path.abspath(__file__))
    git = lambda *g: os.popen(f"git -C {here} {' '.join(g)} 2>/dev/null").read().strip()
    started = dict(git_commit=git("rev-parse", "HEAD") or None, git_dirty=git("status", "--porcelain", "--untracked-files=no") != "")
    torch, run_exp, helper = load_official(a.official)
    weight_seeds = set(span(a.weight_seeds)) if a.weights_dir else set()
    if a.weights_dir:
        os.makedirs(a.weights_dir, exist_ok=True)
    lines = []
    for seed in span(a.seeds):
        for depth in span(a.depths):
            for rank in span(a.ranks):
                t = time.time()
                torch.set_default_dtype(torch.float32)
                m = build(run_exp, helper, seed, depth, rank)
                try:
                    adapted32 = quiet(m.adapt_ours)
                except RuntimeError as e:  # torch's LinAlgError: a singular matrix in our_construction (float32)
                    lines.append(dict(kind="failed", seed=seed, depth=depth, rank=rank, error=str(e).split("\n")[0],
                                      frozen_hash=frozen_hash(torch, m.frozen_m), target_hash=frozen_hash(torch, m.target_m)))
                    print(json.dumps(lines[-1]), flush=True)
                    continue
                mse32 = test_mse(torch, helper, m, adapted32, a.n_test, torch.float32)
                # the same models in float64, the construction re-run with float64 as the default dtype
                m64 = copy.copy(m)
                m64.target_m, m64.frozen_m = copy.deepcopy(m.target_m).double(), copy.deepcopy(m.frozen_m).double()
                torch.set_default_dtype(torch.float64)
                adapted64 = quiet(m64.adapt_ours)
                mse64 = test_mse(torch, helper, m64, adapted64, a.n_test, torch.float64)
                torch.set_default_dtype(torch.float32)
                line = dict(kind="run", seed=seed, depth=depth, rank=rank, n_test=a.n_test, test_mse_float32=mse32, test_mse_float64=mse64,
                            frozen_hash=frozen_hash(torch, m.frozen_m), target_hash=frozen_hash(torch, m.target_m), seconds=round(time.time() - t, 2))
                if seed in weight_seeds:
                    name = f"seed{seed}-L{depth}-R{rank}.json"
                    write_atomic(os.path.join(a.weights_dir, name), json.dumps(dict(
                        seed=seed, depth=depth, rank=rank, test_mse_float64=mse64,
                        target=as_ours(torch, m64.target_m, False), frozen=as_ours(torch, m64.frozen_m, False), adapted=as_ours(torch, adapted64, True))))
                    line["weights"] = name
                lines.append(line)
                print(json.dumps(line), flush=True)
    meta = dict(kind="provenance", script="lib/scripts/official/tfn-construction.py", **started, torch=torch.__version__, python=sys.version.split()[0],
                official_commit=os.popen(f"git -C {a.official} rev-parse HEAD 2>/dev/null").read().strip() or a.official_commit,
                finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    write_atomic(a.out, "".join(json.dumps(l) + "\n" for l in [meta, *lines]))


if __name__ == "__main__":
    main()
