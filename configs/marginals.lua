-- marginals: the marginal effect of each training precision (Kumar et al. 2024, Fig. 3/4,
-- Eq. 4 factor by factor). One of weights, activations, KV cache is trained in INT3..INT8
-- while the other two stay BF16, plus a BF16 baseline, for two model sizes at D = 20N.
-- Fitting gamma_w, gamma_a, gamma_kv (with and without offsets) needs exactly these runs.
-- Cost (sweep plan): 5.7e+14 FLOPs, about 7.1 h on 2 cores (--jobs 2 --threads 1) at the
-- 22 GFLOP/s that configs/smoke.lua sustained on this shared machine; less when it is idle.
local runs = {}
for _, point in ipairs({"w", "a", "kv"}) do
  for _, bits in ipairs({3, 4, 5, 6, 8}) do
    local spec = { w = "bf16", a = "bf16", kv = "bf16" }
    spec[point] = bits
    runs[#runs + 1] = int(spec)
  end
end
runs[#runs + 1] = bf16()
return sweep{
  name = "marginals",
  description = "P_w, P_a, P_kv swept one at a time (INT3..INT8), the others BF16",
  data = "data/corpus/prose",
  ctx = 128, batch = 32, eval_tokens = 32768,
  tokens_per_param = 20,
  runs = grid{
    model = ladder{ {d = 64, l = 2, h = 2}, {d = 96, l = 3, h = 3} },
    precision = runs,
  },
}
