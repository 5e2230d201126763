-- compute_matched: runs of equal training compute C = (6/16) N D P at different
-- precisions (Kumar et al. 2024, Fig. 6): D is fixed and N is chosen so that N * P stays
-- near constant (about 1.7M bit-parameters), from a BF16 model of 107k parameters to an
-- INT3 model of 600k. The loss-optimal precision P* under a compute budget is read off
-- these runs (the paper finds 7-8 bits for integer training).
-- Cost (sweep plan): 2.0e+14 FLOPs, about 2.5 h on 2 cores (--jobs 2 --threads 1) at the
-- 22 GFLOP/s that configs/smoke.lua sustained on this shared machine; less when it is idle.
return sweep{
  name = "compute_matched",
  description = "N * P constant at fixed D: which precision spends compute best",
  data = "data/corpus/prose",
  ctx = 128, batch = 32, eval_tokens = 32768,
  tokens = 4194304,
  runs = grid{
    matched = zip{
      --          P = 16        8                         6                          4                          3
      model = ladder{ {d = 64, l = 2, h = 2}, {d = 96, l = 2, h = 3}, {d = 112, l = 2, h = 4}, {d = 128, l = 2, h = 4}, {d = 128, l = 3, h = 4} },
      precision = { bf16(), int{w = 8, a = 8, kv = 8}, int{w = 6, a = 6, kv = 6}, int{w = 4, a = 4, kv = 4}, int{w = 3, a = 3, kv = 3} },
    },
    seed = {0, 1},
  },
}
