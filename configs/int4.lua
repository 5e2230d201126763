-- int4: the core contrast of Kumar et al. (2024) at small scale. BF16 training against
-- INT4 training of weights, activations and KV cache, over a ladder of model sizes and
-- token budgets (D = 5N, 10N, 20N), so that N_eff/N of INT4 can be fitted
-- (fitlaws) against the BF16 Chinchilla fit of the same ladder.
-- Cost (sweep plan): 5.9e+14 FLOPs, about 7.5 h on 2 cores (--jobs 2 --threads 1) at the
-- 22 GFLOP/s that configs/smoke.lua sustained on this shared machine; less when it is idle.
return sweep{
  name = "int4",
  description = "BF16 vs INT4 (w, a, kv) training over N and D",
  data = "data/corpus/prose",
  ctx = 128, batch = 32, eval_tokens = 32768,
  runs = grid{
    model = ladder{ {d = 64, l = 2, h = 2}, {d = 96, l = 3, h = 3}, {d = 128, l = 4, h = 4} },
    precision = { bf16(), int{w = 4, a = 4, kv = 4} },
    tokens_per_param = {5, 10, 20},
  },
}
