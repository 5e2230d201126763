"""Checks `sweep status --json` against the run files and the sweep's expansion (h5py).

Usage: check_status_json.py STATUS.json SWEEP.json EXPECT RESULTS_DIR

STATUS.json is the output, parsed by Python's json module (strict: NaN and Infinity are
refused, and the bytes must be UTF-8). SWEEP.json is the sweep's sweep.json (names, run
ids, canonical configs). EXPECT is "name=state[,partial]" words, one per run. For every run:
name, id and target tokens as sweep.json says; with a run file, step, tokens and losses
equal to the file's (last /train row, the EMA of /train's loss, last /eval row, /final),
tokens/s from the wall column, ETA from the tokens left, the /ptq tables; without one,
zeros and nulls. The totals must add up. Prints what it checked; exits 1 on the first
difference."""
import json
import math
import os
import sys

import h5py

BETA = 0.9  # RUNSTATE_EMA_BETA
RATE_ROWS = 10  # RUNSTATE_RATE_ROWS


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def close(a, b, what, rel=1e-12):
    if a is None or b is None:
        if a is not b:
            fail(f"{what}: {a!r} != {b!r}")
        return
    if not math.isclose(a, b, rel_tol=rel, abs_tol=1e-300):
        fail(f"{what}: {a!r} != {b!r}")


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def refuse_constant(name):
    raise ValueError(f"non-JSON number {name}")


def main():
    status_path, sweep_path, expect, results = sys.argv[1:5]
    with open(status_path, "rb") as f:
        raw = f.read()
    doc = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    with open(sweep_path, "rb") as f:
        sweep = json.loads(f.read().decode("utf-8"))
    byname = {r["name"]: r for r in sweep["runs"]}
    want = dict(w.split("=", 1) for w in expect.split())
    if doc["sweep"] != sweep["name"]:
        fail(f"sweep name {doc['sweep']!r}")
    runs = doc["runs"]
    if sorted(r["name"] for r in runs) != sorted(want):
        fail(f"runs {[r['name'] for r in runs]} != {sorted(want)}")
    counts = {}
    tokens = target = 0
    rate = 0.0
    for r in runs:
        name = r["name"]
        s = byname[name]
        if r["id"] != s["run_id"] or r["index"] != s["index"]:
            fail(f"{name}: id/index {r['id']} {r['index']} != {s['run_id']} {s['index']}")
        if r["target_tokens"] != s["config"]["tokens"]:
            fail(f"{name}: target_tokens {r['target_tokens']} != {s['config']['tokens']}")
        state, _, flag = want[name].partition(",")
        if r["state"] != state:
            fail(f"{name}: state {r['state']} != {state}")
        if r["partial"] != (flag == "partial"):
            fail(f"{name}: partial {r['partial']}")
        counts[state] = counts.get(state, 0) + 1
        tokens += r["tokens"]
        target += r["target_tokens"]
        path = os.path.join(results, name + ".h5")
        if state in ("done", "diverged", "pending") and os.path.exists(path):
            check_file(r, path)
        elif state in ("pending", "failed"):
            for k in ("step", "tokens", "train_rows", "eval_step", "ptq_tables"):
                if r[k] != 0:
                    fail(f"{name}: {k} {r[k]} without a run file")
            for k in ("loss", "smoothed_loss", "eval_loss", "val_loss", "tokens_per_s"):
                if r[k] is not None:
                    fail(f"{name}: {k} {r[k]} without a run file")
            if r["ptq"] != []:
                fail(f"{name}: ptq without a run file")
        if state in ("failed", "conflict") and not r["reason"]:
            fail(f"{name}: {state} without a reason")
        if state in ("done", "diverged", "failed", "conflict") and r["eta_s"] is not None:
            fail(f"{name}: eta_s {r['eta_s']} for a {state} run")
        if state == "pending" and r["tokens_per_s"]:
            close(r["eta_s"], (r["target_tokens"] - r["tokens"]) / r["tokens_per_s"],
                  f"{name}: eta_s")
        if state == "running" and r["tokens_per_s"] is not None:
            rate += r["tokens_per_s"]
        print(f"{name}: {state}{' (partial)' if r['partial'] else ''} step {r['step']} "
              f"tokens {r['tokens']}/{r['target_tokens']} ok")
    t = doc["totals"]
    for st in ("pending", "running", "done", "diverged", "failed", "conflict"):
        if t[st] != counts.get(st, 0):
            fail(f"totals {st}: {t[st]} != {counts.get(st, 0)}")
    if t["runs"] != len(runs) or t["tokens"] != tokens or t["target_tokens"] != target:
        fail(f"totals: {t}")
    if t["partial"] != sum(r["partial"] for r in runs):
        fail("totals partial")
    close(t["tokens_per_s"], rate, "totals tokens_per_s")
    if t["finished"] != all(r["state"] in ("done", "diverged") for r in runs):
        fail("totals finished")
    print(f"{len(runs)} runs and the totals agree with the run files")
    return doc


def check_file(r, path):
    name = r["name"]
    with h5py.File(path, "r") as f:
        rid = f.attrs["run_id"]
        if (rid.decode() if isinstance(rid, bytes) else rid) != r["id"]:
            fail(f"{name}: the file's run_id {rid!r}")
        tr = f["train"]
        step, tok, loss, wall = (tr[k][:] for k in ("step", "tokens", "loss", "wall"))
        n = len(step)
        if r["train_rows"] != n:
            fail(f"{name}: train_rows {r['train_rows']} != {n}")
        if r["step"] != int(step[-1]) or r["tokens"] != int(tok[-1]):
            fail(f"{name}: step/tokens {r['step']} {r['tokens']} != {step[-1]} {tok[-1]}")
        close(r["loss"], finite_or_none(loss[-1]), f"{name}: loss", rel=0)
        m, bn = 0.0, 1.0
        for x in loss:
            m = BETA * m + (1 - BETA) * float(x)
            bn *= BETA
        close(r["smoothed_loss"], finite_or_none(m / (1 - bn)), f"{name}: smoothed_loss")
        close(r["wall_s"], float(wall[-1]), f"{name}: wall_s", rel=0)
        last = n - 1
        first = last - RATE_ROWS if last > RATE_ROWS else 0
        dt, dn = wall[last] - wall[first], tok[last] - tok[first]
        if first == last:
            dt, dn = wall[last], tok[last]
        close(r["tokens_per_s"], float(dn) / float(dt) if dt > 0 else None,
              f"{name}: tokens_per_s")
        ev = f["eval"]
        if r["eval_step"] != int(ev["step"][-1]):
            fail(f"{name}: eval_step")
        close(r["eval_loss"], finite_or_none(ev["loss"][-1]), f"{name}: eval_loss", rel=0)
        if "final" in f:
            close(r["val_loss"], finite_or_none(f["final"].attrs["val_loss"]),
                  f"{name}: val_loss", rel=0)
        elif r["val_loss"] is not None:
            fail(f"{name}: val_loss without /final")
        tables = sorted(f["ptq"].keys()) if "ptq" in f else []
        got = sorted(p["table"] for p in r["ptq"])
        if got != tables or r["ptq_tables"] != len(tables):
            fail(f"{name}: ptq tables {got} != {tables}")
        for p in r["ptq"]:
            g = f["ptq"][p["table"]]
            s, b = g["step"][:], g["bits"][:]
            if p["rows"] != len(s) or p["step"] != int(s[-1]):
                fail(f"{name}: ptq {p['table']} rows/step")
            bits = sorted({float(x) for x, y in zip(b, s) if y == s[-1]})
            if sorted(p["bits"]) != bits:
                fail(f"{name}: ptq {p['table']} bits {p['bits']} != {bits}")


if __name__ == "__main__":
    main()
