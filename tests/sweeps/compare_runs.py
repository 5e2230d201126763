"""Checks that two sweep result directories hold the same runs with identical results.

Usage: compare_runs.py REFERENCE_DIR OTHER_DIR. Compares, per run file, the run id, the
/train loss and step columns, the /eval losses and the /final status, losses, steps and
tokens, bit for bit (wall times differ and are ignored). Fails on a missing, extra,
unreadable or unfinished run file and on leftover temporary files.
"""
import glob
import os
import sys

import h5py
import numpy as np


def load(path):
    with h5py.File(path, "r") as f:
        final = dict(f["final"].attrs)
        return {
            "run_id": f.attrs["run_id"],
            "train_step": f["train/step"][()],
            "train_loss": f["train/loss"][()],
            "eval_loss": f["eval/loss"][()],
            "status": final["status"],
            "val_loss": final["val_loss"],
            "train_loss_final": final["train_loss"],
            "steps": final["steps"],
            "tokens": final["tokens"],
        }


def main(ref, other):
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ref, "*.h5")))
    got = sorted(os.path.basename(p) for p in glob.glob(os.path.join(other, "*.h5")))
    if not names or names != got:
        sys.exit(f"run files differ: {names} vs {got}")
    leftovers = glob.glob(os.path.join(other, "*.tmp*"))
    if leftovers:
        sys.exit(f"leftover temporary files: {leftovers}")
    for name in names:
        a, b = load(os.path.join(ref, name)), load(os.path.join(other, name))
        for key, va in a.items():
            vb = b[key]
            same = np.array_equal(va, vb) if isinstance(va, np.ndarray) else va == vb
            if not same:
                sys.exit(f"{name}: {key} differs: {va} vs {vb}")
        if a["status"] != "done":
            sys.exit(f"{name}: status {a['status']}")
    print(f"{len(names)} run files identical")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
