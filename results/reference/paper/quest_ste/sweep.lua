-- paper/quest_ste: QuEST against straight-through (STE) training on the GPU (Panferov et
-- al. 2025, Sec. 4-5, Fig. 1/3): weights and activations of every block linear layer
-- trained at 4, 3, 2 and 1 bits, once with QuEST (Hadamard rotation, Gaussian-optimal
-- RMS clipping, trust-mask gradient; W1A1 with the clip mask, as the paper) and once with
-- plain INT with a straight-through gradient and QuEST's baseline scales (weights per
-- output channel, activations per token; INT1 = sign x mean|x|), at three sizes (0.33M,
-- 0.80M and 1.8M non-embedding parameters) and D = 20N.
-- The findings to test: QuEST beats STE at <= 4 bits (fitlaws' quest_eff: eff(P) per
-- format), and eff(P)/P is largest at 4 bits.
-- The unquantized baselines that quest_eff fits A, alpha, B, E on are the fp32 runs of
-- configs/paper/ptq_data.lua at the same sizes and knobs (the same runs, so the same run
-- ids): run fitlaws on both folders, e.g.
--   fitlaws results/reference/paper/ptq_data results/reference/paper/quest_ste
-- (d96 at D/N 20..200, d128 at 20 and 50, d192 at 20 there); the three at D = 20N are
-- also listed here.
-- Data: corpus/prepare.sh --tier full, then sweep tokenize (docs/corpus.md).
return sweep{
  name = "quest_ste",
  description = "W4A4..W1A1: QuEST vs INT with straight-through gradients, three sizes, D = 20N",
  data = "data/corpus/full",
  device = "cuda",
  ctx = 256, batch = 32, lr = 3e-3,
  eval_tokens = 262144,
  tokens_per_param = 20,
  runs = grid{
    model = ladder{ {d = 96, l = 3, h = 3}, {d = 128, l = 4, h = 4}, {d = 192, l = 4, h = 6} },
    precision = {
      fp32(),
      quest{ w = 4, a = 4 },
      quest{ w = 3, a = 3 },
      quest{ w = 2, a = 2 },
      quest{ w = "quest1:clipmask", a = "quest1:clipmask" },
      int{ w = 4, a = 4, w_gran = "row", a_gran = "token", backward = "ste" },
      int{ w = 3, a = 3, w_gran = "row", a_gran = "token", backward = "ste" },
      int{ w = 2, a = 2, w_gran = "row", a_gran = "token", backward = "ste" },
      int{ w = 1, a = 1, w_gran = "row", a_gran = "token", backward = "ste" },
    },
  },
}
