#!/usr/bin/env python3
"""PyTorch baseline for `polytope bench sae --variants l1-2023,topk`: the same shapes and
recipes (pre-encoder bias tied to the decoder bias; ReLU and an L1 penalty, or TopK with k = 8
and AuxK on dead latents; unit-norm decoder rows with the parallel gradient component removed;
Adam; firing counts for dead-latent detection), trained on synthetic data made the same way
(4 d_in random unit directions, densities log-spaced from 8/features to 1/features, magnitudes
U[0, 1]), on the CPU with the same number of threads. Both sides train `--warmup-steps` before
timing, so that the code is as sparse as a trained dictionary's; both report the L0 they timed.

    python3 tools/bench_torch_sae.py [--seconds 3] [--sizes 32x256,128x1024]
        [--variants l1-2023,topk] [--warmup-steps 0] [--polytope target/release/polytope]

Needs torch (not installed by ./dev; this is not part of CI).
"""
import argparse
import json
import os
import subprocess
import time

import torch


def steps_per_second(variant, d_in, d_sae, batch, seconds, warmup_steps):
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
    topk = variant == "topk"
    opt = torch.optim.Adam([w_enc, b_enc, w_dec, b_dec], lr=1e-3 if topk else 3e-3)
    last_fired = torch.zeros(d_sae, dtype=torch.int64)
    lam = 0.01
    k, k_aux, aux_coefficient = 8, max(1, min(d_in // 2, 512)), 1 / 32
    dead_window = 12_500  # SaeConfig::recommended for the bench's 1,000,000 steps
    step_no = [0]
    l0 = []

    def step():
        coeff = torch.where(torch.rand(batch, n_true) < prob, torch.rand(batch, n_true), 0.0)
        # A few features per input: sum their directions (as polytope's source does) rather
        # than multiplying the mostly-zero coefficients densely.
        rows, cols = coeff.nonzero(as_tuple=True)
        x = torch.zeros(batch, d_in).index_add_(0, rows, coeff[rows, cols, None] * dirs[cols])
        z = (x - b_dec) @ w_enc + b_enc
        if topk:
            values, index = z.topk(k, dim=1)
            f = torch.zeros_like(z).scatter(1, index, torch.relu(values))
            x_hat = f @ w_dec + b_dec
            loss = ((x_hat - x) ** 2).sum(dim=1).mean()
            dead = step_no[0] - last_fired >= dead_window
            if bool(dead.any()):
                values, index = z.masked_fill(~dead, float("-inf")).topk(k_aux, dim=1)
                f_aux = torch.zeros_like(z).scatter(1, index, torch.relu(values))
                e_hat = f_aux @ w_dec
                loss = loss + aux_coefficient * ((e_hat - (x - x_hat).detach()) ** 2).sum(dim=1).mean()
        else:
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
            l0.append(float((f > 0).sum()) / batch)

    for _ in range(warmup_steps + 3):
        step()
    t0 = time.perf_counter()
    for _ in range(3):
        step()
    per = max((time.perf_counter() - t0) / 3, 1e-6)
    steps = max(3, int(seconds / per))
    l0.clear()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - t0), sum(l0) / len(l0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--polytope", default="target/release/polytope")
    p.add_argument("--sizes", default="32x256,128x1024")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--variants", default="l1-2023,topk")
    p.add_argument("--warmup-steps", type=int, default=0)
    args = p.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    ours = json.loads(subprocess.run(
        [args.polytope, "bench", "sae", "--backend", "cpu", "--variants", args.variants,
         "--sizes", args.sizes, "--batch", str(args.batch), "--seconds", str(args.seconds),
         "--warmup-steps", str(args.warmup_steps), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout)
    print(f"CPU, {threads} threads, torch {torch.__version__}, batch {args.batch}, "
          f"{args.warmup_steps} warm-up steps")
    print(f"{'variant':>8} {'d_in->d_sae':>12} {'polytope steps/s':>17} {'L0':>6} "
          f"{'torch steps/s':>14} {'L0':>6} {'ratio':>7}")
    for row in ours:
        theirs, their_l0 = steps_per_second(row["variant"], row["d_in"], row["d_sae"],
                                            row["batch"], args.seconds, args.warmup_steps)
        size = f"{row['d_in']}->{row['d_sae']}"
        print(f"{row['variant']:>8} {size:>12} {row['steps_per_second']:>17.1f} "
              f"{row['l0']:>6.1f} {theirs:>14.1f} {their_l0:>6.1f} "
              f"{row['steps_per_second'] / theirs:>6.2f}x")


if __name__ == "__main__":
    main()
