-- ptq_data: post-training quantization against data (Kumar et al. 2024, Fig. 1/2, Eq. 2):
-- BF16 models of three sizes trained on ever more tokens (D = 10N .. 160N), each then
-- quantized to INT3..INT6 (weights, RTN and GPTQ) when the engine has the ptq knobs.
-- delta_PTQ grows with D: past D_crit more data makes the quantized model worse.
-- Data: D = 160N of the largest model is 53M tokens, about 4.6 epochs of
-- data/corpus/prose (use data/corpus/full for fewer repeats).
-- Cost (sweep plan): 5.7e+14 FLOPs, about 7.3 h on 2 cores (--jobs 2 --threads 1) at the
-- 22 GFLOP/s that configs/smoke.lua sustained on this shared machine; less when it is idle.
local post = has_knob("ptq") and ptq{ "rtn", "gptq", bits = {3, 4, 5, 6} } or nil
return sweep{
  name = "ptq_data",
  description = "BF16 training over D = 10N..160N, then PTQ to INT3..INT6",
  data = "data/corpus/prose",
  ctx = 128, batch = 32, eval_tokens = 32768,
  runs = grid{
    model = ladder{ {d = 48, l = 2, h = 2}, {d = 64, l = 2, h = 2}, {d = 96, l = 3, h = 3} },
    precision = bf16(),
    tokens_per_param = {10, 20, 40, 80, 160},
    post = post,
  },
}
