"""Checks `sweep export` output against the run files it was made from (h5py).

Usage: check_export.py TABLE.csv CURVES.csv RUN.h5...

Every run file given must be in the export: with /final, one row of its own (the final
validation loss, or an empty loss when it is not finite) and one row per PTQ result of the
final weights, values equal to the file's bit for bit; without /final, no row. Its curves:
one row per row of /train and /eval, every column equal. Nothing else may be in either
file. Prints what it counted; exits 1 on the first difference."""
import csv
import math
import sys

import h5py

TABLE_COLS = ["N", "D", "P_w", "P_a", "P_kv", "format", "P_post", "method", "loss",
              "base_loss", "delta", "G", "seed", "run_id", "name", "status"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def num(s):
    return math.nan if s == "" else float(s)


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


table_path, curves_path, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(table_path, newline="") as f:
    reader = csv.DictReader(f)
    if reader.fieldnames != TABLE_COLS:
        fail(f"table header {reader.fieldnames}")
    table = list(reader)
with open(curves_path, newline="") as f:
    reader = csv.DictReader(f)
    curve_cols = reader.fieldnames
    curves = list(reader)
if curve_cols[:5] != ["name", "run_id", "table", "step", "tokens"]:
    fail(f"curves header {curve_cols}")

want_rows = want_points = want_curves = 0
for path in runs:
    with h5py.File(path, "r") as f:
        rid, name = text(f.attrs["run_id"]), text(f.attrs["name"])
        mine = [r for r in table if r["run_id"] == rid]
        cfg = f["config"].attrs
        if "final" in f:
            fin = f["final"].attrs
            own = [r for r in mine if r["P_post"] == ""]
            if len(own) != 1:
                fail(f"{path}: {len(own)} rows without P_post, expected 1")
            r = own[0]
            val = float(fin["val_loss"])
            want = val if math.isfinite(val) and val > 0 else math.nan
            if not same(num(r["loss"]), want):
                fail(f"{path}: loss {r['loss']} != /final val_loss {val!r}")
            if r["status"] != text(fin["status"]) or r["name"] != name:
                fail(f"{path}: status/name {r['status']}/{r['name']}")
            for k in ["N", "D", "P_w", "P_a", "P_kv"]:
                if num(r[k]) != float(cfg[k]):
                    fail(f"{path}: {k} {r[k]} != /config {cfg[k]}")
            if r["format"] != text(cfg["format_w"]) or num(r["seed"]) != float(cfg["seed"]):
                fail(f"{path}: format/seed {r['format']}/{r['seed']}")
            want_rows += 1
            want_points += math.isfinite(want)
            steps = int(fin["steps"])
            ptq = []
            for t in f.get("ptq", {}):
                g = f["ptq"][t]
                for i in range(len(g["step"])):
                    bits, loss = float(g["bits"][i]), float(g["val_loss"][i])
                    if g["step"][i] == steps and bits > 0 and math.isfinite(loss):
                        ptq.append((t, bits, loss, float(g["base_loss"][i]),
                                    float(g["delta"][i])))
            got = sorted((r["method"], num(r["P_post"]), num(r["loss"]), num(r["base_loss"]),
                          num(r["delta"])) for r in mine if r["P_post"] != "")
            if got != sorted(ptq):
                fail(f"{path}: PTQ rows\n  export {got}\n  file   {sorted(ptq)}")
            want_rows += len(ptq)
            want_points += len(ptq)
        elif mine:
            fail(f"{path}: {len(mine)} rows for a run without /final")
        for tab in ["train", "eval"]:
            g = f[tab]
            rows = [r for r in curves if r["run_id"] == rid and r["table"] == tab]
            n = len(g["step"])
            if len(rows) != n:
                fail(f"{path}: {len(rows)} {tab} curve rows, /{tab} has {n}")
            for col in g:
                if col not in curve_cols:
                    fail(f"{path}: curves lack column {col} of /{tab}")
                v = g[col][:]
                for i, r in enumerate(rows):
                    if not same(num(r[col]), float(v[i])):
                        fail(f"{path}: /{tab}/{col}[{i}] {v[i]!r} exported as {r[col]}")
            if any(r["name"] != name for r in rows):
                fail(f"{path}: curve rows with another name")
            want_curves += n
if len(table) != want_rows:
    fail(f"table has {len(table)} rows, the run files {want_rows}")
if len(curves) != want_curves:
    fail(f"curves have {len(curves)} rows, the run files {want_curves}")
print(f"{len(runs)} run files: {want_rows} table rows ({want_points} with a loss), "
      f"{want_curves} curve rows")
