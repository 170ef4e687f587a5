#!/usr/bin/env python3
"""An independent PyTorch reimplementation of the paper's n=2, m=1 phase diagram, trained the
way the official notebook trains toy models, and its agreement with `polytope phase`.

    python3 tools/phase_torch.py [--polytope target/release/polytope] [--resolution 16]
        [--models 10] [--steps 5000] [--seeds 0,1,2] [--json out.json]

Written from the paper's description (shared/reference/tms.md), not from our Rust code:
- ReLU output model with tied weights, x' = ReLU(W^T W x + b), W of shape [m, n] with Xavier-normal
  initialisation and b = 0; every model of every cell is one instance of one batched tensor;
- data: each feature is 0 with probability 1 - p, else U[0, 1];
- loss: importance-weighted squared error, mean over the batch and the features, summed over the
  instances (instances are independent: each has its own parameters and AdamW's per-parameter
  state);
- AdamW (weight decay 0.01), lr 1e-3, batch 1024, constant schedule.
Cells: densities log-spaced from 1 (top row) to 0.01, relative importance of the second feature
log-spaced from 0.1 to 10; `models` models per cell; the one with the highest final loss (on a
fresh batch of 8192 samples) is dropped and the rest vote on what happened to the second feature:
not learned (norm below 0.5), superposition (its squared cosine overlap with the first feature's
column, sum_j (W^_2 . W_j)^2, above 0.5), dedicated (below 0.1), otherwise other; ties go to the
lowest-loss model. These thresholds are the definition of the diagram's classes (docs/phase.md).

Needs torch (not installed by ./dev; not part of CI). Agreement is measured on the cells where
every PyTorch seed gives the same class, against `polytope phase` run with the same settings and
each of the same seeds (its own seeds: the two never share random numbers).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

import torch

CLASSES = ["not-learned", "dedicated", "superposition", "other"]


def axes(resolution):
    def log_axis(lo, hi):
        if resolution == 1:
            return [lo]
        return [lo * (hi / lo) ** (t / (resolution - 1)) for t in range(resolution)]

    densities = list(reversed(log_axis(0.01, 1.0)))
    importances = log_axis(0.1, 10.0)
    return densities, importances


def classify(w):
    """w: [instances, m=1, n=2] -> class index per instance (the second feature's fate)."""
    col = w[:, :, 1]  # [I, m]
    norm_sq = (col * col).sum(-1)
    overlap = (w[:, :, 0] * col).sum(-1) ** 2 / norm_sq.clamp_min(1e-30)
    out = torch.full(norm_sq.shape, 3, dtype=torch.long)
    out[overlap < 0.1] = 1
    out[overlap > 0.5] = 2
    out[norm_sq.sqrt() < 0.5] = 0
    return out


def train(resolution, models, steps, seed, lr=1e-3, batch=1024, threads=None):
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    densities, importances = axes(resolution)
    n, m = 2, 1
    prob, imp = [], []
    for p in densities:
        for r in importances:
            for _ in range(models):
                prob.append([p, p])
                imp.append([1.0, r])
    prob = torch.tensor(prob)
    imp = torch.tensor(imp)
    count = prob.shape[0]
    w = torch.empty(count, m, n)
    for i in range(count):
        torch.nn.init.xavier_normal_(w[i])
    w.requires_grad_(True)
    b = torch.zeros(count, n, requires_grad=True)
    opt = torch.optim.AdamW([w, b], lr=lr, weight_decay=0.01)

    def batch_of(size):
        x = torch.rand(count, size, n)
        return torch.where(torch.rand(count, size, n) < prob[:, None, :], x, torch.zeros(()))

    def losses(x):
        h = torch.einsum("ibn,imn->ibm", x, w)
        out = torch.relu(torch.einsum("ibm,imn->ibn", h, w) + b[:, None, :])
        return (imp[:, None, :] * (x - out) ** 2).mean(dim=(1, 2))

    for _ in range(steps):
        loss = losses(batch_of(batch)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = losses(batch_of(8192))
        cls = classify(w.detach())
    cells = []
    for cell in range(resolution * resolution):
        idx = list(range(cell * models, (cell + 1) * models))
        ranked = sorted(idx, key=lambda i: final[i].item())
        kept = ranked[:-1] if len(ranked) > 1 else ranked
        votes = [int(cls[i]) for i in kept]
        tally = [votes.count(c) for c in range(4)]
        best = votes[0]
        regime = max(range(4), key=lambda c: (tally[c], c == best))
        cells.append(CLASSES[regime])
    return cells


def polytope_cells(binary, resolution, models, steps, seed, lr, batch):
    out = subprocess.run(
        [binary, "phase", "--n", "2", "--resolution", str(resolution), "--models", str(models),
         "--steps", str(steps), "--seed", str(seed), "--lr", str(lr), "--batch", str(batch),
         "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return [c["regime"] for c in json.loads(out)["cells"]]


def consensus(runs):
    return [r[0] if all(x[i] == r[0] for x in runs) else None for i, r in enumerate(zip(*runs))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polytope", default=os.environ.get("POLYTOPE", "target/release/polytope"))
    ap.add_argument("--resolution", type=int, default=16)
    ap.add_argument("--models", type=int, default=10)
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", help="write every grid and the agreement here")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    res = args.resolution
    torch_runs, ours = [], []
    for s in seeds:
        t0 = time.time()
        torch_runs.append(train(res, args.models, args.steps, s, args.lr, args.batch, args.threads))
        t1 = time.time()
        ours.append(polytope_cells(args.polytope, res, args.models, args.steps, s, args.lr, args.batch))
        t2 = time.time()
        print(f"seed {s}: PyTorch {t1 - t0:.1f} s, polytope {t2 - t1:.1f} s", file=sys.stderr)
    ref = consensus(torch_runs)
    settled = [i for i, c in enumerate(ref) if c is not None]
    per_seed = []
    for run in ours:
        agree = sum(run[i] == ref[i] for i in settled)
        per_seed.append(agree / max(1, len(settled)))
    ours_consensus = consensus(ours)
    both = [i for i in settled if ours_consensus[i] is not None]
    agree_both = sum(ours_consensus[i] == ref[i] for i in both) / max(1, len(both))
    # Within-implementation agreement between seeds, as a noise floor.
    def pairwise(runs):
        pairs = [(a, b) for a in range(len(runs)) for b in range(a + 1, len(runs))]
        if not pairs:
            return math.nan
        return sum(sum(x == y for x, y in zip(runs[a], runs[b])) / len(runs[a]) for a, b in pairs) / len(pairs)

    summary = {
        "resolution": res, "models": args.models, "steps": args.steps, "seeds": seeds,
        "lr": args.lr, "batch": args.batch,
        "cells": res * res, "cells_where_torch_seeds_agree": len(settled),
        "agreement_per_polytope_seed": per_seed,
        "agreement_mean": sum(per_seed) / len(per_seed),
        "cells_where_both_settle": len(both), "agreement_of_consensus": agree_both,
        "torch_seed_agreement": pairwise(torch_runs), "polytope_seed_agreement": pairwise(ours),
    }
    print(json.dumps(summary, indent=1))

    def grid(cells):
        sym = {"not-learned": ".", "dedicated": "D", "superposition": "S", "other": "o", None: "?"}
        return "\n".join("".join(sym[c] for c in cells[r * res:(r + 1) * res]) for r in range(res))

    print("PyTorch consensus (rows: density 1 -> 0.01; columns: importance 0.1 -> 10):", file=sys.stderr)
    print(grid(ref), file=sys.stderr)
    print("polytope consensus:", file=sys.stderr)
    print(grid(ours_consensus), file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**summary, "torch": torch_runs, "polytope": ours}, f)


if __name__ == "__main__":
    main()
