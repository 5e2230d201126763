-- paper/ptq_data: post-training quantization against data on the GPU (Kumar et al. 2024,
-- Sec. 3, Fig. 1/2, Eq. 2): unquantized models of four sizes from 0.1M to 1.8M
-- non-embedding parameters, each trained on ever more tokens (D/N from 20 up to 600 at
-- the smallest, capped near one epoch of the full corpus tier), then quantized after
-- training to INT2..INT6 (weights per output channel, RTN and GPTQ). The finding to test:
-- delta_PTQ grows with D at fixed N.
-- Training is fp32 on the GPU, not BF16 as in the paper (unquantized in both cases; when
-- this sweep was run device=cuda had no fake quantization yet, and switching now would
-- change the identity of every committed run). The smallest size is trained with two seeds,
-- which gives fitlaws a measured noise floor.
-- Data: corpus/prepare.sh --tier full, then sweep tokenize (docs/corpus.md): 55M training
-- tokens; the largest run takes 59M (1.07 epochs).
-- Cost (measured, results/reference/paper/ptq_data/REPORT.md): 17 runs, 422M tokens,
-- 2.2e15 FLOPs, 233 s on one H200 with scripts/gpu_sweep.sh --jobs 5 --threads 3.
return sweep{
  name = "ptq_data",
  description = "fp32 training over D/N = 20..600 on the GPU, then RTN and GPTQ to INT2..INT6",
  data = "data/corpus/full",
  device = "cuda",
  ctx = 256, batch = 32, lr = 3e-3,
  eval_tokens = 262144,
  ptq_calib = 128,
  runs = concat(
    grid{
      model = ladder{ {d = 64, l = 2, h = 2} },
      tokens_per_param = {20, 50, 100, 200, 600},
      seed = {0, 1},
      post = ptq{ "rtn", "gptq", bits = {2, 3, 4, 5, 6} },
    },
    grid{
      model = ladder{ {d = 96, l = 3, h = 3} },
      tokens_per_param = {20, 50, 100, 200},
      post = ptq{ "rtn", "gptq", bits = {2, 3, 4, 5, 6} },
    },
    grid{
      model = ladder{ {d = 128, l = 4, h = 4} },
      tokens_per_param = {20, 50},
      post = ptq{ "rtn", "gptq", bits = {2, 3, 4, 5, 6} },
    },
    grid{
      model = ladder{ {d = 192, l = 4, h = 6} },
      tokens_per_param = {20},
      post = ptq{ "rtn", "gptq", bits = {2, 3, 4, 5, 6} },
    }
  ),
}
