-- smoke: a handful of tiny runs that check the whole pipeline (tokens, training, quantized
-- training, run files, sweep status) in a few minutes on 2 cores.
-- Run: sweep run configs/smoke.lua --jobs 2 --threads 1
-- Cost (sweep plan): 6.4e+12 FLOPs; measured 4m54s wall with --jobs 2 --threads 1 on this
-- 2-core machine while it was shared (22 GFLOP/s sustained; 2m14s of CPU time).
return sweep{
  name = "smoke",
  description = "four tiny runs: two sizes, FP32 and INT4 weights",
  data = "data/corpus/prose",
  ctx = 128, batch = 16, eval_tokens = 16384,
  runs = grid{
    model = ladder{ {d = 64, l = 2, h = 2}, {d = 96, l = 2, h = 3} },
    precision = { fp32(), int{w = 4} },
    tokens = 524288,
  },
}
