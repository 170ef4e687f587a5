#!/usr/bin/env python3
"""PyTorch baseline for `polytope bench sae --variants l1-2023`: the same shapes and recipe
(pre-encoder bias tied to the decoder bias, ReLU, L1 penalty, unit-norm decoder rows with the
parallel gradient component removed, Adam, firing counts for dead-latent detection), trained on
synthetic data made the same way (4 d_in random unit directions, densities log-spaced from
8/features to 1/features, magnitudes U[0, 1]), on the CPU with the same number of threads.

    python3 tools/bench_torch_sae.py [--seconds 3] [--sizes 32x256,128x1024] [--polytope target/release/polytope]

Needs torch (not installed by ./dev; this is not part of CI).
"""
import argparse
import json
import os
import subprocess
import time

import torch


def steps_per_second(d_in, d_sae, batch, seconds):
    n_true = 4 * d_in
    dirs = torch.nn.functional.normalize(torch.randn(n_true, d_in), dim=1)
    frac = torch.arange(n_true) / max(n_true - 1, 1)
    p_max, p_min = min(8 / n_true, 1.0), 1 / n_true
    prob = p_max * (p_min / p_max) ** frac

    w_dec = torch.nn.functional.normalize(torch.randn(d_sae, d_in), dim=1)
    w_dec = torch.nn.Parameter(w_dec)
    w_enc = torch.nn.Parameter(w_dec.detach().t().clone())
    b_enc = torch.nn.Parameter(torch.zeros(d_sae))
    b_dec = torch.nn.Parameter(torch.zeros(d_in))
    opt = torch.optim.Adam([w_enc, b_enc, w_dec, b_dec], lr=3e-3)
    last_fired = torch.zeros(d_sae, dtype=torch.int64)
    lam = 0.01
    step_no = [0]

    def step():
        coeff = torch.where(torch.rand(batch, n_true) < prob, torch.rand(batch, n_true), 0.0)
        x = coeff @ dirs
        z = (x - b_dec) @ w_enc + b_enc
        f = torch.relu(z)
        x_hat = f @ w_dec + b_dec
        loss = ((x_hat - x) ** 2).mean() + lam * f.sum(dim=1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            g = w_dec.grad
            g -= (g * w_dec).sum(dim=1, keepdim=True) * w_dec
        opt.step()
        with torch.no_grad():
            w_dec.div_(w_dec.norm(dim=1, keepdim=True).clamp_min(1e-12))
            fired = (f > 0).any(dim=0)
            step_no[0] += 1
            last_fired[fired] = step_no[0]

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(3):
        step()
    per = max((time.perf_counter() - t0) / 3, 1e-6)
    steps = max(3, int(seconds / per))
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--polytope", default="target/release/polytope")
    p.add_argument("--sizes", default="32x256,128x1024")
    p.add_argument("--batch", type=int, default=256)
    args = p.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    ours = json.loads(subprocess.run(
        [args.polytope, "bench", "sae", "--backend", "cpu", "--variants", "l1-2023",
         "--sizes", args.sizes, "--batch", str(args.batch), "--seconds", str(args.seconds),
         "--json"],
        check=True, capture_output=True, text=True,
    ).stdout)
    print(f"CPU, {threads} threads, torch {torch.__version__}, l1-2023, batch {args.batch}")
    print(f"{'d_in->d_sae':>12} {'polytope steps/s':>17} {'torch steps/s':>14} {'ratio':>7}")
    for row in ours:
        theirs = steps_per_second(row["d_in"], row["d_sae"], row["batch"], args.seconds)
        size = f"{row['d_in']}->{row['d_sae']}"
        print(f"{size:>12} {row['steps_per_second']:>17.1f} {theirs:>14.1f} "
              f"{row['steps_per_second'] / theirs:>6.2f}x")


if __name__ == "__main__":
    main()
