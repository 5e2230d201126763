-- paper/eff_params: quantized training and effective parameters on the GPU (Kumar et al.
-- 2024, Sec. 4, Eq. 4, Fig. 3 and 7; issue 14 sweeps 2 and 4): at three sizes (0.33M,
-- 0.80M, 1.77M non-embedding parameters) and D = 20N, one part of the model trained at a
-- time in INT with straight-through gradients (the paper's setting: weights per output
-- channel, activations and K/V per tensor): weights at 3, 4, 5, 6, 8 bits, activations at
-- 4, 6, 8, the KV cache at 4, 6, 8, and all three tied at 4 bits. The findings to test:
-- N_eff(P) = N (1 - exp(-P/gamma)) per part, with activations the most sensitive and the
-- KV cache the least (gamma_a > gamma_w > gamma_kv in the paper's Table 2), and models
-- trained at lower weight precision degrade less under PTQ (the Fig. 7 heat map over
-- training P_w and P_post: every run gets RTN and GPTQ at INT2..INT6, as ptq_data).
-- The unquantized baselines are the fp32 runs of configs/paper/ptq_data.lua at D = 20N
-- (seed 0, the same knobs, so the same run ids; copied into the results folder) and a
-- second seed here, which measures the seed noise at each size.
-- Smaller than the issue's design (0.8M-4.8M, weights 3-8, activations and KV 4-8 one bit
-- at a time, BF16 baselines): that is about 3.5G tokens, several GPU sessions; this one is
-- 0.75G tokens and fits one. Training is fp32 (the baselines' arithmetic), not BF16.
-- Data: corpus/prepare.sh --tier full, then sweep tokenize (docs/corpus.md).
return sweep{
  name = "eff_params",
  description = "INT weights 3-8, activations 4-8, KV 4-8 one part at a time, three sizes, D = 20N",
  data = "data/corpus/full",
  device = "cuda",
  ctx = 256, batch = 32, lr = 3e-3,
  eval_tokens = 262144,
  ptq_calib = 128,
  tokens_per_param = 20,
  runs = concat(
    grid{
      model = ladder{ {d = 96, l = 3, h = 3}, {d = 128, l = 4, h = 4}, {d = 192, l = 4, h = 6} },
      precision = {
        int{ w = 3 }, int{ w = 4 }, int{ w = 5 }, int{ w = 6 }, int{ w = 8 },
        int{ a = 4 }, int{ a = 6 }, int{ a = 8 },
        int{ kv = 4 }, int{ kv = 6 }, int{ kv = 8 },
        int{ w = 4, a = 4, kv = 4 },
      },
      post = ptq{ "rtn", "gptq", bits = {2, 3, 4, 5, 6} },
    },
    grid{
      model = ladder{ {d = 96, l = 3, h = 3}, {d = 128, l = 4, h = 4}, {d = 192, l = 4, h = 6} },
      precision = { fp32() },
      seed = {0, 1},
      post = ptq{ "rtn", "gptq", bits = {2, 3, 4, 5, 6} },
    }
  ),
}
