#!/usr/bin/python3
"""Compute-matched runs for P*, read straight from run files (no law fitted).

For sweeps like configs/paper/pstar.lua: runs trained at tied precision P (weights,
activations and KV cache at P bits, or unquantized, counted as P = 16 as Kumar et al.
count their BF16 baseline) with D chosen so that C = (P / 16) * 6 N D is one of a few
budgets. Prints, per budget:
1. the final validation loss of every run, a row per precision, a column per size
   (N non-embedding parameters, D/N in brackets);
2. per precision, the best loss over sizes, and whether that best is inside the sizes
   tried (a best at the smallest or largest size is an edge: the true optimum may lie
   beyond it);
3. the precisions ranked by their best loss, with each one's distance to the best, so a
   difference can be compared with the seed noise given by --noise.
Last, what the runs cost: tokens, FLOPs (the run files' own count) and wall time.
With --plot PREFIX, also the measured iso-compute curves: PREFIX.dat, PREFIX.gp and, by
gnuplot, PREFIX.png and PREFIX.svg (one panel per budget, final validation loss against N
per precision, the best of each precision marked).

Usage: scripts/pstar_table.py DIR [--noise 0.03] [--plot PREFIX]
(needs h5py: /usr/bin/python3)
"""
import glob
import math
import os
import subprocess
import sys
from collections import defaultdict

import h5py


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def tied_bits(c):
    """P of a tied run (the three parts at one width), 16 for an unquantized one."""
    bits = {float(c["P_w"]), float(c["P_a"]), float(c["P_kv"])}
    if len(bits) != 1:
        return None
    p = bits.pop()
    return 16 if p >= 32 else int(p)


def load(d):
    out = []
    for f in sorted(glob.glob(os.path.join(d, "*.h5"))):
        with h5py.File(f, "r") as h:
            c, fin = h["config"].attrs, h["final"].attrs
            if text(fin.get("status", "")) != "done":
                print(f"skipped (not done): {f}", file=sys.stderr)
                continue
            p = tied_bits(c)
            if p is None:
                print(f"skipped (precisions not tied): {f}", file=sys.stderr)
                continue
            n, dt = int(c["N"]), int(c["D"])
            out.append(dict(file=os.path.basename(f), P=p, N=n, D=dt,
                            C=p / 16 * 6 * n * dt, loss=float(fin["val_loss"]),
                            tokens=int(fin["tokens"]), flops=float(fin["flops"]),
                            wall=float(fin["wall_s"]), epochs=float(fin["epochs"])))
    return out


def size(n):
    return f"{n / 1e3:.0f}k" if n < 1e5 else f"{n / 1e6:.2f}M"


def budget_key(c):
    """Budgets to 2 significant digits: D is rounded to whole steps, so C is not exact."""
    e = math.floor(math.log10(c)) - 1
    return round(c / 10 ** e) * 10 ** e


# Okabe & Ito's colours as fitlaws' figures use them (analysis/figures.c); fp32 black.
COLOURS = {4: "#D55E00", 6: "#0072B2", 8: "#009E73", 16: "#000000"}


def plot(prefix, by_c):
    """Measured iso-compute curves, one panel per budget (values from the run files)."""
    budgets = sorted(by_c)
    with open(prefix + ".dat", "w") as f:
        f.write("# budget index, C, P, N, final val_loss, D/N, best of its P (1/0)\n")
        for i, c in enumerate(budgets):
            for p in sorted({r["P"] for r in by_c[c]}):
                rs = sorted((r for r in by_c[c] if r["P"] == p), key=lambda r: r["N"])
                best = min(r["loss"] for r in rs)
                for r in rs:
                    f.write(f"{i} {c:.3g} {p} {r['N']} {r['loss']:.6f} "
                            f"{r['D'] / r['N']:.1f} {int(r['loss'] == best)}\n")
                f.write("\n\n")
    name = os.path.basename(prefix)
    lines = [
        "set encoding utf8",
        "set datafile separator whitespace",
        "set logscale x",
        "set format x '10^{%L}'",
        "set xlabel 'non-embedding parameters N'",
        "set ylabel 'final validation loss (nats/token)'",
        "set grid lc rgb '#dddddd'",
        "set key top left box opaque samplen 2",
        f"set multiplot layout 1,{len(budgets)} title "
        "'Compute-matched runs: C = (P/16) 6ND, tied W = A = KV precision P (fp32 counted as 16);"
        " open circles: the best size of each precision'",
    ]
    for i, c in enumerate(budgets):
        ps = sorted({r["P"] for r in by_c[c]})
        lines.append(f"set title 'C = {c:.2g}'")
        if i == 1:
            lines.append("unset key")  # one key, in the first panel's empty top left
        plots = []
        for k, p in enumerate(ps):
            label = "fp32 (as 16)" if p == 16 else f"INT{p}"
            sel = f"(($1 == {i} && $3 == {p}) ? $4 : 1/0)"
            plots.append(f"'{name}.dat' using {sel}:5 with linespoints pt 7 ps 0.7 "
                         f"lc rgb '{COLOURS.get(p, '#999999')}' title '{label}'")
            best = f"(($1 == {i} && $3 == {p} && $7 == 1) ? $4 : 1/0)"
            plots.append(f"'{name}.dat' using {best}:5 with points pt 6 ps 2.2 "
                         f"lc rgb '{COLOURS.get(p, '#999999')}' notitle")
        lines.append("plot " + ", \\\n     ".join(plots))
    lines.append("unset multiplot")
    body = "\n".join(lines) + "\n"
    width = 430 * len(budgets)
    with open(prefix + ".gp", "w") as f:
        f.write("# measured iso-compute curves (scripts/pstar_table.py --plot); "
                "open circles: the best size of each precision\n")
        f.write(body)
    cwd = os.path.dirname(prefix) or "."
    for term, ext, size in (("pngcairo", "png", f"{width},420"),
                            ("svg", "svg", f"{width},420")):
        script = (f"set terminal {term} size {size} font 'DejaVu Sans,10'\n"
                  f"set output '{name}.{ext}'\n" + body)
        subprocess.run(["gnuplot"], input=script, text=True, cwd=cwd, check=True)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    noise = 0.03
    if "--noise" in args:
        noise = float(args[args.index("--noise") + 1])
    prefix = args[args.index("--plot") + 1] if "--plot" in args else None
    runs = load(args[0])
    if not runs:
        sys.exit(f"no finished run files in {args[0]}")
    by_c = defaultdict(list)
    for r in runs:
        by_c[budget_key(r["C"])].append(r)
    for c in sorted(by_c):
        rs = by_c[c]
        sizes = sorted({r["N"] for r in rs})
        print(f"## C = {c:.2g} (C = (P/16) 6 N D; {len(rs)} runs)\n")
        print("| P | " + " | ".join(f"N {size(n)}" for n in sizes) + " | best | where |")
        print("|---|" + "---|" * (len(sizes) + 2))
        best = {}
        for p in sorted({r["P"] for r in rs}):
            # seeds of one (P, N): their mean, and how many
            group = defaultdict(list)
            for r in rs:
                if r["P"] == p:
                    group[r["N"]].append(r)
            row = {n: dict(g[0], loss=sum(r["loss"] for r in g) / len(g), seeds=len(g))
                   for n, g in group.items()}
            cells = []
            for n in sizes:
                r = row.get(n)
                seeds = f", mean of {r['seeds']} seeds" if r and r["seeds"] > 1 else ""
                cells.append(f"{r['loss']:.4f} (D/N {r['D'] / n:.0f}{seeds})" if r else "")
            b = min(row.values(), key=lambda r: r["loss"])
            ns = sorted(row)
            # a best at the smallest size may be held there by the corpus: its D is the
            # largest of the row, so say how many epochs it took
            edge = "one size" if len(ns) == 1 else \
                f"edge (smallest size, {b['epochs']:.2f} epochs)" if b["N"] == ns[0] else \
                "edge (largest size)" if b["N"] == ns[-1] else "inside"
            best[p] = b
            name = "fp32 (as 16)" if p == 16 else f"INT{p}"
            print(f"| {name} | " + " | ".join(cells) + f" | {b['loss']:.4f} | {edge} |")
        order = sorted(best, key=lambda p: best[p]["loss"])
        top = best[order[0]]["loss"]
        print("\nranked: " + ", ".join(
            f"P={p} {best[p]['loss'] - top:+.4f}" for p in order) +
            f"  (seed noise at these sizes about {noise})\n")
    if prefix:
        plot(prefix, by_c)
    tok = sum(r["tokens"] for r in runs)
    fl = sum(r["flops"] for r in runs)
    wall = sum(r["wall"] for r in runs)
    print(f"cost: {len(runs)} runs, {tok / 1e6:.0f}M tokens, {fl:.3g} FLOPs, "
          f"{wall:.0f} s summed over the runs' own wall times")


if __name__ == "__main__":
    main()
