#!/usr/bin/python3
"""Post-training quantization against data, read straight from run files (no law fitted).

For each model size and PTQ method, prints the unquantized validation loss of every run
and the loss after quantization to each bit width, in D order, with the spread between
seeds where a configuration was repeated. Then, per size, method and bit width, where the
quantized loss is lowest along D and by how much it rises past that point: the paper's
finding that at low post-training precision more data can make the quantized model
worse (Kumar et al. 2024, Fig. 1/2) is seen directly when the rise exceeds the seed
spread.

Usage: scripts/ptq_table.py DIR [--method gptq|rtn|all]   (needs h5py: /usr/bin/python3)
"""
import glob
import json
import os
import sys
from collections import defaultdict

import h5py
import numpy as np


def runs(d):
    out = []
    for f in sorted(glob.glob(os.path.join(d, "*.h5"))):
        with h5py.File(f, "r") as h:
            cfg = json.loads(h.attrs["config"])
            fin = h["final"].attrs
            if fin.get("status", b"") not in ("done", b"done"):
                continue
            r = {
                "name": os.path.basename(f)[:-3],
                "d": cfg["d_model"], "l": cfg["n_layer"], "D": int(fin["tokens"]),
                "seed": cfg["seed"], "val": float(fin["val_loss"]), "ptq": {},
            }
            for m in h.get("ptq", {}):
                t = h["ptq"][m]
                r["ptq"][m] = {int(b): float(v) for b, v in zip(t["bits"][:], t["val_loss"][:])}
            out.append(r)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    want = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--method" else "all"
    rs = runs(d)
    if not rs:
        sys.exit(f"{d}: no finished run files")
    methods = sorted({m for r in rs for m in r["ptq"]} if want == "all" else [want])
    cells = defaultdict(list)  # (d, l, D) -> runs (seeds)
    for r in rs:
        cells[(r["d"], r["l"], r["D"])].append(r)
    sizes = sorted({(k[0], k[1]) for k in cells})
    for m in methods:
        bits = sorted({b for r in rs for b in r["ptq"].get(m, {})})
        print(f"\n## {m}: validation loss, unquantized and after PTQ (mean over seeds; "
              f"+-half the seed range where repeated)\n")
        print("| model | D | run name | seeds | unquantized | " +
              " | ".join(f"INT{b}" for b in bits) + " |")
        print("|---|---|---|---|---|" + "---|" * len(bits))
        rise = []
        for s in sizes:
            Ds = sorted(k[2] for k in cells if k[:2] == s)
            series = {b: [] for b in bits}
            for D in Ds:
                c = cells[s + (D,)]
                def fmt(v):
                    v = np.array(v)
                    return f"{v.mean():.4f}" + (f" +-{(v.max() - v.min()) / 2:.4f}" if len(v) > 1 else "")
                row = [fmt([r["val"] for r in c])]
                for b in bits:
                    v = [r["ptq"][m][b] for r in c if b in r["ptq"].get(m, {})]
                    row.append(fmt(v) if v else "-")
                    if v:
                        series[b].append((D, np.mean(v), (max(v) - min(v)) / 2 if len(v) > 1 else None))
                print(f"| d{s[0]}-l{s[1]} | {D:.3g} | {c[0]['name'].split('_')[1]} | {len(c)} | " +
                      " | ".join(row) + " |")
            for b in bits:
                pts = series[b]
                if len(pts) < 2:
                    continue
                i = int(np.argmin([p[1] for p in pts]))
                last = pts[-1]
                spread = max([p[2] for p in pts if p[2] is not None], default=None)
                rise.append((s, b, pts[i][0], pts[i][1], last[0], last[1] - pts[i][1], spread))
        print(f"\n## {m}: does more data make the quantized model worse? (lowest quantized "
              "loss along D, and the rise from there to the largest D)\n")
        print("| model | bits | best D | loss there | largest D | rise | largest seed half-range |")
        print("|---|---|---|---|---|---|---|")
        for s, b, Db, lb, Dl, up, sp in rise:
            print(f"| d{s[0]}-l{s[1]} | INT{b} | {Db:.3g} | {lb:.4f} | {Dl:.3g} | "
                  f"{up:+.4f} | {'-' if sp is None else f'{sp:.4f}'} |")


if __name__ == "__main__":
    main()
