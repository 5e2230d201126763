-- demo: what the README's main command runs on a fresh machine. A small but real
-- precision sweep: three model sizes, two token budgets, FP32 and INT4 training of
-- weights and activations, each run then quantized after training (RTN and GPTQ, INT3,
-- INT4, INT6, INT8). Enough runs for fitlaws to fit Chinchilla, the PTQ degradation law
-- and N_eff of INT4 training, and to draw the figures; far too small to reproduce the
-- paper's constants (see configs/int4.lua and configs/ptq_data.lua for that).
-- Cost: 12 runs, about 1.1e13 training FLOPs; `sweep plan configs/demo.lua` estimates
-- the time on this machine.
return sweep{
  name = "demo",
  description = "3 sizes x 2 budgets x {FP32, INT4 w/a}, then RTN and GPTQ to INT3..INT8",
  data = "data/corpus/prose",
  ctx = 128, batch = 16, eval_tokens = 32768, lr = 3e-3,
  ptq_calib = 64,
  runs = grid{
    model = ladder{ {d = 32, l = 2, h = 2}, {d = 48, l = 2, h = 2}, {d = 64, l = 2, h = 2} },
    precision = { fp32(), int{w = 4, a = 4} },
    tokens_per_param = {10, 20},
    post = ptq{ "rtn", "gptq", bits = {3, 4, 6, 8} },
  },
}
