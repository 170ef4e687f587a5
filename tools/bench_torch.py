#!/usr/bin/env python3
"""PyTorch baseline for `polytope bench tms`: the same toy-model configurations, trained the way
the official notebook does (instances in one tensor, einsum forward, AdamW, batches drawn with
torch.rand), on the CPU with the same number of threads. Prints both side by side.

    python3 tools/bench_torch.py [--seconds 3] [--polytope target/release/polytope]

Needs torch (not installed by ./dev; this is not part of CI). The polytope binary is run first
(`bench tms --backend cpu --json`) and provides the configurations via `tms --json`, so both
sides train exactly the same shapes, densities and importances.
"""
import argparse
import json
import os
import subprocess
import time

import torch


def config(polytope, preset):
    out = subprocess.run(
        [polytope, "tms", "--preset", preset, "--steps", "1", "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    report = json.loads(out)
    prob = torch.tensor([i["feature_probability"] for i in report["instances"]])
    imp = torch.tensor([i["importance"] for i in report["instances"]])
    return report["n_features"], report["n_hidden"], report["batch_size"], prob, imp


def torch_steps_per_second(n, m, batch, prob, imp, seconds):
    instances = prob.shape[0]
    w = torch.nn.Parameter(torch.empty(instances, n, m))
    torch.nn.init.xavier_normal_(w)
    b = torch.nn.Parameter(torch.zeros(instances, n))
    opt = torch.optim.AdamW([w, b], lr=1e-3, weight_decay=0.01)

    def step():
        feat = torch.rand(batch, instances, n)
        x = torch.where(torch.rand(batch, instances, n) <= prob, feat, torch.zeros(()))
        h = torch.einsum("bin,inm->bim", x, w)
        out = torch.relu(torch.einsum("bim,inm->bin", h, w) + b)
        loss = (imp * (x - out) ** 2).mean(dim=(0, 2)).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    step()
    per = max(time.perf_counter() - t0, 1e-6)
    steps = max(3, int(seconds / per))
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--polytope", default="target/release/polytope")
    p.add_argument("--presets", default="intro,sparsity-sweep,dims-per-feature")
    args = p.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    ours = json.loads(subprocess.run(
        [args.polytope, "bench", "tms", "--backend", "cpu", "--presets", args.presets,
         "--seconds", str(args.seconds), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout)
    print(f"CPU, {threads} threads, torch {torch.__version__}")
    print(f"{'preset':<18} {'instances':>9} {'n->m':>7} {'batch':>6} {'polytope steps/s':>17} {'torch steps/s':>14} {'ratio':>7}")
    for row in ours:
        n, m, batch, prob, imp = config(args.polytope, row["preset"])
        theirs = torch_steps_per_second(n, m, batch, prob, imp, args.seconds)
        print(f"{row['preset']:<18} {row['instances']:>9} {f'{n}->{m}':>7} {batch:>6} "
              f"{row['steps_per_second']:>17.1f} {theirs:>14.1f} {row['steps_per_second'] / theirs:>6.2f}x")


if __name__ == "__main__":
    main()
