"""Opens a run file with h5py, an independent reader, and checks that a user finds
what docs/run-file.md promises. Usage: check_runfile.py RUN.h5"""
import json
import math
import sys

import h5py

path = sys.argv[1]
with h5py.File(path, "r") as f:
    root = dict(f.attrs)
    for key in ["schema_version", "run_id", "name", "config", "engine_version", "git_commit",
                "host", "created"]:
        assert key in root, f"root attribute {key} missing"
    assert root["schema_version"] == 1
    assert len(root["run_id"]) == 16 and int(root["run_id"], 16) >= 0
    cfg = json.loads(root["config"])
    assert list(cfg) == sorted(cfg), "canonical config JSON has sorted keys"

    c = dict(f["config"].attrs)
    for key in ["N", "N_total", "D", "d_model", "n_layer", "n_head", "ctx", "vocab", "P_w",
                "P_a", "P_kv", "format_w", "format_a", "format_kv", "seed",
                "train_tokens_unique", "flops_per_token"]:
        assert key in c, f"/config attribute {key} missing"
    for key, value in cfg.items():
        assert c[key] == value, f"/config {key}={c[key]} but config JSON says {value}"
    assert 0 < c["N"] < c["N_total"]
    used = c["eval_tokens_used"]
    assert 0 < used <= max(c["eval_tokens"], c["ctx"]) and used % c["ctx"] == 0, used

    train = f["train"]
    n = train["step"].shape[0]
    for key in ["step", "tokens", "loss", "lr", "grad_norm", "wall"]:
        assert train[key].shape == (n,), f"/train/{key} has another length"
        assert train[key].maxshape == (None,), f"/train/{key} is not extendible"
    steps = train["step"][:]
    assert (steps[1:] > steps[:-1]).all(), "steps strictly increase"
    assert train["tokens"][-1] == steps[-1] * c["batch"] * c["ctx"]
    loss = train["loss"][:]
    assert loss[-1] < loss[0], "training loss falls"
    assert abs(loss[0] - math.log(c["vocab"])) < 0.1, "initial loss near ln(vocab)"

    ev = f["eval"]
    assert ev["loss"].shape == ev["step"].shape and ev["step"][-1] == steps[-1]

    fin = dict(f["final"].attrs)
    assert fin["status"] == "done"
    assert fin["val_loss"] == ev["loss"][-1]
    assert fin["steps"] == steps[-1] and fin["tokens"] == train["tokens"][-1]
    assert abs(fin["flops"] - fin["tokens"] * c["flops_per_token"]) < 1e-6 * fin["flops"]
    assert fin["wall_s"] > 0
    # post-training quantization: RTN at the end and every 16 steps, GPTQ added later
    final_step = fin["steps"]
    for method, steps_expected in [("rtn", [16, final_step]), ("gptq", [final_step])]:
        g = f["ptq"][method]
        assert dict(g.attrs)["format"] == "int" and dict(g.attrs)["granularity"] == "channel"
        if method == "gptq":
            assert dict(g.attrs)["sequential"] == 0, "knob ptq_seq=0 reaches /ptq/gptq"
        assert dict(g.attrs)["embed_head"] == 1, f"knob ptq_embed=1 reaches /ptq/{method}"
        rows = list(zip(g["step"][:], g["bits"][:]))
        expected = [(s, b) for s in steps_expected for b in (4.0, 8.0)]
        assert sorted(rows) == sorted(expected), f"/ptq/{method} rows {rows}"
        for i, (s, b) in enumerate(rows):
            assert abs(g["delta"][i] - (g["val_loss"][i] - g["base_loss"][i])) < 1e-12
            if s == final_step:
                assert g["base_loss"][i] == fin["val_loss"], "PTQ base loss is the run's val loss"
print("run file OK:", path)
