-- quest_vs_ste: 4-bit training of weights and activations with QuEST (Hadamard rotation,
-- Gaussian-optimal clipping, trust-mask gradient; Panferov et al. 2025) against plain
-- INT4 with a straight-through estimator and with the clipped straight-through gradient,
-- and a BF16 baseline, over three model sizes at D = 20N. QuEST's claim: W4A4 close to
-- BF16 where STE falls well behind, the gap shrinking with N.
-- Cost (sweep plan): 6.8e+14 FLOPs, about 8.6 h on 2 cores (--jobs 2 --threads 1) at the
-- 22 GFLOP/s that configs/smoke.lua sustained on this shared machine; less when it is idle.
return sweep{
  name = "quest_vs_ste",
  description = "W4A4: QuEST vs INT4 STE vs INT4 clipped STE vs BF16",
  data = "data/corpus/prose",
  ctx = 128, batch = 32, eval_tokens = 32768,
  tokens_per_param = 20,
  runs = grid{
    model = ladder{ {d = 64, l = 2, h = 2}, {d = 96, l = 3, h = 3}, {d = 128, l = 4, h = 4} },
    precision = {
      bf16(),
      int{ w = 4, a = 4, backward = "ste" },
      int{ w = 4, a = 4, backward = "clipped" },
      quest{ w = 4, a = 4 },
    },
  },
}
