#!/usr/bin/python3
"""Quantized training against the unquantized baseline, read straight from run files (no law
fitted).

For each model size, prints the final validation loss of the unquantized run and of every
quantization-aware run, grouped by the family of the weight format (quest, int, ...) and
its bits (weights and activations at the same bits, as configs/paper/quest_ste.lua trains
them), and the gap between two families at each size and bit width (--compare A,B: loss of
B minus loss of A). With --noise DIR, the spread between seeds of the repeated unquantized
configurations in DIR (the largest |difference| of a seed pair), the scale below which a
one-seed gap is not a finding. Last, what the runs cost: tokens, FLOPs and the sum of the
runs' own wall times.

Usage: scripts/qat_table.py DIR [--compare quest,int] [--noise DIR]
(needs h5py: /usr/bin/python3)
"""
import glob
import os
import sys
from collections import defaultdict

import h5py


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def runs(d):
    out = []
    for f in sorted(glob.glob(os.path.join(d, "*.h5"))):
        with h5py.File(f, "r") as h:
            c, fin = h["config"].attrs, h["final"].attrs
            if text(fin.get("status", "")) != "done":
                print(f"skipped (not done): {f}", file=sys.stderr)
                continue
            out.append({
                "name": os.path.basename(f)[:-3],
                "N": int(c["N"]), "D": int(c["D"]), "seed": int(c["seed"]),
                "P_w": float(c["P_w"]), "P_a": float(c["P_a"]), "P_kv": float(c["P_kv"]),
                "fmt": text(c.get("format_w", "fp32")),
                "val": float(fin["val_loss"]), "tokens": int(fin["tokens"]),
                "flops": float(fin["flops"]), "wall": float(fin.get("wall_s", 0.0)),
            })
    return out


def family(r):
    """fp32 for an unquantized run, the weight format's family for W = A runs with an
    unquantized KV cache (what this table compares), None for any other run."""
    if r["P_w"] >= 32 and r["P_a"] >= 32 and r["P_kv"] >= 32:
        return "fp32"
    if r["P_w"] == r["P_a"] and r["P_kv"] >= 32:
        return r["fmt"]
    return None


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    d, pair, noise = argv[1], ("quest", "int"), None
    i = 2
    while i < len(argv):
        if argv[i] == "--compare" and i + 1 < len(argv):
            pair = tuple(argv[i + 1].split(","))
            i += 2
        elif argv[i] == "--noise" and i + 1 < len(argv):
            noise = argv[i + 1]
            i += 2
        else:
            print(f"qat_table.py: unknown argument {argv[i]}", file=sys.stderr)
            return 2
    rs = runs(d)
    if not rs:
        print(f"qat_table.py: no finished runs in {d}", file=sys.stderr)
        return 1
    by = defaultdict(dict)  # (N, D) -> (family, bits) -> val
    for r in rs:
        if family(r) is None:
            print(f"skipped (not W = A bits with fp32 KV; scripts/part_table.py reads "
                  f"one-part runs): {r['name']}", file=sys.stderr)
            continue
        by[(r["N"], r["D"])][(family(r), int(r["P_w"]))] = r["val"]
    fams = sorted({k[0] for v in by.values() for k in v if k[0] != "fp32"})
    bits = sorted({k[1] for v in by.values() for k in v if k[0] != "fp32"}, reverse=True)
    a, b = pair
    print(f"| N | D | bits | fp32 | " + " | ".join(fams) + f" | {b} - {a} |")
    print("|---|---|---|---|" + "---|" * len(fams) + "---|")
    for (n, dd) in sorted(by):
        v = by[(n, dd)]
        base = v.get(("fp32", 32))
        for p in bits:
            cells = [f"{v[(f, p)]:.4f}" if (f, p) in v else "-" for f in fams]
            gap = f"{v[(b, p)] - v[(a, p)]:+.4f}" if (a, p) in v and (b, p) in v else "-"
            fp = f"{base:.4f}" if base is not None else "-"
            print(f"| {n / 1e6:.2f}M | {dd / 1e6:.1f}M | {p} | {fp} | " + " | ".join(cells) +
                  f" | {gap} |")
    if noise:
        pairs = defaultdict(list)
        for r in runs(noise):
            if r["P_w"] >= 32:
                pairs[(r["N"], r["D"])].append(r["val"])
        spread = [(k, max(v) - min(v)) for k, v in sorted(pairs.items()) if len(v) > 1]
        if spread:
            print("\nseed spread of the unquantized validation loss in " + noise + ":")
            for (n, dd), s in spread:
                print(f"  N {n / 1e6:.2f}M D {dd / 1e6:.1f}M: {s:.4f}")
            print(f"  largest: {max(s for _, s in spread):.4f}")
    tok = sum(r["tokens"] for r in rs)
    fl = sum(r["flops"] for r in rs)
    wall = sum(r["wall"] for r in rs)
    print(f"\n{len(rs)} runs, {tok / 1e6:.0f}M tokens, {fl:.3g} FLOPs, runs' own wall times "
          f"summed {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
