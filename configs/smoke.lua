-- smoke: a handful of tiny runs that check the whole pipeline (tokens, training, quantized
-- training, run files, sweep status) in a few minutes on 2 cores.
-- Run: sweep run configs/smoke.lua --jobs 2 --threads 1
-- Cost (sweep plan, this machine, 2 threads): see docs/sweeps.md; about 2e12 FLOPs.
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
