-- cooldown: warmup-stable-decay cooldown branches (issue 14; docs/sweeps.md, docs/engine.md).
-- Per model and precision one wsd run at the largest D, trained from scratch, keeps its
-- checkpoint where each shorter run's decay starts; the shorter runs start there and only
-- decay, instead of training their stable phase again. Each equals the same knobs trained
-- from scratch bit for bit (and has that run's run id), so fitlaws reads a ladder of D.
-- Run: sweep run configs/cooldown.lua --jobs 2 --threads 1 (a branch waits, holding no job
-- slot, until its parent has passed its decay start).
-- Cost (sweep plan, vocab 4096 assumed before tokenizing): 12 runs, 2.3e+13 FLOPs if each
-- were trained from scratch; as branches, the four parents (1.3e+13) plus the last 20% of
-- each branch's steps (1.9e+12).
return sweep{
  name = "cooldown",
  description = "wsd cooldown branches at D = 0.26M, 0.52M, 1.05M: two sizes, FP32 and INT4 weights",
  data = "data/corpus/prose",
  ctx = 128, batch = 16, eval_tokens = 16384,
  runs = cooldown{
    model = ladder{ {d = 64, l = 2, h = 2}, {d = 96, l = 2, h = 3} },
    precision = { fp32(), int{w = 4} },
    tokens = {262144, 524288, 1048576},  -- 128, 256, 512 steps of 2048 tokens
    decay_frac = 0.2,                    -- branches decay after steps 102 and 204
    eval_every = 51,                     -- divides 102 and 204 (/quant rows as from scratch)
  },
}
