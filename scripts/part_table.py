#!/usr/bin/python3
"""Quantized training one part at a time, read straight from run files (no law fitted).

For sweeps like configs/paper/eff_params.lua, where each run quantizes the weights, the
activations or the KV cache alone (or all three tied) and the unquantized runs are
repeated over seeds. Prints, per model size:
1. the unquantized baseline (mean over seeds, and the seed spread max - min), and each
   quantized run's final validation loss minus that mean;
2. delta_PTQ after training (a method: gptq or rtn) at the P_post given, for every run,
   and its ratio to the baseline's mean delta: the Fig. 7 heat map of Kumar et al. as a
   table, beside the loss each run's quantized training cost.
Last, what the runs cost: tokens, FLOPs and the sum of the runs' own wall times.

Usage: scripts/part_table.py DIR [--method gptq|rtn] [--post 2,3]
(needs h5py: /usr/bin/python3)
"""
import glob
import os
import sys
from collections import defaultdict

import h5py


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(d):
    out = []
    for f in sorted(glob.glob(os.path.join(d, "*.h5"))):
        with h5py.File(f, "r") as h:
            c, fin = h["config"].attrs, h["final"].attrs
            if text(fin.get("status", "")) != "done":
                print(f"skipped (not done): {f}", file=sys.stderr)
                continue
            ptq = {}
            for m in h.get("ptq", {}):
                g = h["ptq"][m]
                for b, dl in zip(g["bits"][()], g["delta"][()]):
                    ptq[(m, int(b))] = float(dl)
            P = {k: float(c[f"P_{k}"]) for k in ("w", "a", "kv")}
            out.append({"name": os.path.basename(f)[:-3], "N": int(c["N"]), "D": int(c["D"]),
                        "seed": int(c["seed"]), "P": P, "val": float(fin["val_loss"]),
                        "ptq": ptq, "tokens": int(fin["tokens"]), "flops": float(fin["flops"]),
                        "wall": float(fin.get("wall_s", 0.0))})
    return out


def part(r):
    """('fp32', 32), ('w', 4), ('a', 6), ('kv', 8), ('tied', 4), or None for other runs."""
    q = {k: v for k, v in r["P"].items() if v < 32}
    if not q:
        return ("fp32", 32)
    if len(q) == 1:
        (k, v), = q.items()
        return (k, int(v))
    if len(q) == 3 and len(set(q.values())) == 1:
        return ("tied", int(next(iter(q.values()))))
    return None


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    d, method, posts = argv[1], "gptq", [2, 3]
    i = 2
    while i < len(argv):
        if argv[i] == "--method" and i + 1 < len(argv):
            method = argv[i + 1]
            i += 2
        elif argv[i] == "--post" and i + 1 < len(argv):
            posts = [int(x) for x in argv[i + 1].split(",")]
            i += 2
        else:
            print(f"part_table.py: unknown argument {argv[i]}", file=sys.stderr)
            return 2
    rs = load(d)
    if not rs:
        print(f"part_table.py: no finished runs in {d}", file=sys.stderr)
        return 1
    cells = defaultdict(lambda: defaultdict(list))  # (N, D) -> part -> runs
    for r in rs:
        p = part(r)
        if p is None:
            print(f"skipped (more than one part, not tied): {r['name']}", file=sys.stderr)
            continue
        cells[(r["N"], r["D"])][p].append(r)
    order = {"fp32": 0, "w": 1, "a": 2, "kv": 3, "tied": 4}
    head = " | ".join(f"{method} P_post {p} | ratio" for p in posts)
    print(f"| N | D | trained | seeds | val loss | - baseline | {head} |")
    print("|---|---|---|---|---|---|" + "---|---|" * len(posts))
    for (n, dd) in sorted(cells):
        c = cells[(n, dd)]
        base = c.get(("fp32", 32), [])
        bmean = sum(r["val"] for r in base) / len(base) if base else None
        bdelta = {p: [r["ptq"][(method, p)] for r in base if (method, p) in r["ptq"]] for p in posts}
        bdmean = {p: sum(v) / len(v) if v else None for p, v in bdelta.items()}
        for key in sorted(c, key=lambda k: (order[k[0]], -k[1])):
            runs_ = c[key]
            val = sum(r["val"] for r in runs_) / len(runs_)
            label = "fp32" if key[0] == "fp32" else f"{key[0]}{key[1]}"
            if key[0] == "fp32" and len(runs_) > 1:
                spread = max(r["val"] for r in runs_) - min(r["val"] for r in runs_)
                gap = f"seed spread {spread:.4f}"
            else:
                gap = f"{val - bmean:+.4f}" if bmean is not None else "-"
            out = []
            for p in posts:
                v = [r["ptq"][(method, p)] for r in runs_ if (method, p) in r["ptq"]]
                if not v:
                    out += ["-", "-"]
                    continue
                m = sum(v) / len(v)
                if key[0] == "fp32" and len(v) > 1:
                    out += [f"{m:.4f} ({min(v):.4f}..{max(v):.4f})", "1"]
                else:
                    ratio = f"{m / bdmean[p]:.2f}" if bdmean[p] else "-"
                    out += [f"{m:.4f}", ratio]
            print(f"| {n / 1e6:.2f}M | {dd / 1e6:.1f}M | {label} | {len(runs_)} | {val:.4f} | "
                  f"{gap} | " + " | ".join(out) + " |")
    tok = sum(r["tokens"] for r in rs)
    fl = sum(r["flops"] for r in rs)
    wall = sum(r["wall"] for r in rs)
    print(f"\n{len(rs)} runs, {tok / 1e6:.0f}M tokens, {fl:.3g} FLOPs, "
          f"runs' own wall times summed {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
