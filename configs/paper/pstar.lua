-- paper/pstar: compute-matched runs for the compute-optimal training precision P*
-- (Kumar et al. 2024, Sec. 4.3, Fig. 5 and 6; issue 14 sweep 5). At a fixed training
-- compute, a lower precision buys a larger model or more tokens; the finding to test is
-- that the best tied precision P_w = P_a = P_kv = P is about 7-8 bits when N, D and P are
-- all free (4 bits and 16 bits both lose).
-- Compute is the paper's accounting: C = (P / 16) * 6 N D, N the non-embedding
-- parameters, so a run at P bits gets D = 16 C / (6 N P) tokens. The unquantized runs
-- (fp32 arithmetic here) count as P = 16, the paper's BF16 baseline. The real arithmetic
-- of fake-quantized training is fp32 whatever P is: the GPU time of a run grows as 16 / P.
-- Each budget has tied INT training at 4, 6 and 8 bits (weights per output channel,
-- activations and K/V per tensor, straight-through gradients: the paper's setting, as in
-- configs/paper/eff_params.lua) and fp32, each at three to five sizes. A first version
-- with three sizes per precision at the two larger budgets found the lowest loss at the
-- smallest size tried for every precision; so every budget now goes down to the smallest
-- size whose D stays within two epochs of the corpus (about 110M tokens, N >= 16 C /
-- (6 P 110M)), and a third, smaller budget (3e12) reaches sizes down to 25k parameters
-- at every precision without that cap. One seed: configs/paper/eff_params.lua measured
-- the seed noise at these sizes as 0.002-0.03 nats.
-- Data: corpus/prepare.sh --tier full, then sweep tokenize (docs/corpus.md).
-- Cost (measured, results/reference/paper/pstar/REPORT.md): 47 runs, 1331M tokens, 5.1e15
-- FLOPs; about 10.5 minutes on one H100 with --jobs 16 --threads 1 (two calls: the
-- first stopped at its limit, the second resumed).

local S0 = { d = 32, l = 2, h = 2 } -- N = 0.025M
local S1 = { d = 48, l = 2, h = 2 } -- 0.055M
local M0 = { d = 64, l = 2, h = 2 } -- 0.098M
local M1 = { d = 96, l = 3, h = 3 } -- 0.33M
local M2 = { d = 128, l = 4, h = 4 } -- 0.79M
local M3 = { d = 192, l = 4, h = 6 } -- 1.77M
local M4 = { d = 256, l = 4, h = 8 } -- 3.15M

-- D = 16 C / (6 N P), to 3 significant digits (so run names stay short).
local function tokens_at(C, P)
  return function(r)
    local d = 16 * C / (6 * r.N * P)
    local scale = 10 ^ (math.floor(math.log(d, 10)) - 2)
    return math.floor(d / scale + 0.5) * scale // 1
  end
end

local function budget(C, sizes_by_bits)
  local parts = {}
  for i, P in ipairs({ 4, 6, 8, 16 }) do
    parts[i] = grid{
      model = ladder(sizes_by_bits[P]),
      precision = P == 16 and fp32() or int{ w = P, a = P, kv = P },
      tokens = tokens_at(C, P),
    }
  end
  return concat(table.unpack(parts))
end

return sweep{
  name = "pstar",
  description = "compute-matched tied INT 4/6/8 and fp32 at three budgets, three to five sizes each",
  data = "data/corpus/full",
  device = "cuda",
  ctx = 256, batch = 32, lr = 3e-3,
  eval_tokens = 262144,
  runs = concat(
    -- C = 3e12: D = 20N at P = 16 falls at 0.16M (between M0 and M1); no size here
    -- passes two epochs
    budget(3e12, {
      [4] = { S0, S1, M0, M1 }, [6] = { S0, S1, M0, M1 }, [8] = { S0, S1, M0, M1 },
      [16] = { S0, S1, M0, M1 },
    }),
    -- C = 1.2e13: D = 20N at P = 16 falls at 0.32M (M1); smallest sizes within two
    -- epochs: S0 at 16 bits, S1 at 6 and 8, M0 at 4
    budget(1.2e13, {
      [4] = { M0, M1, M2, M3 }, [6] = { S1, M0, M1, M2 }, [8] = { S1, M0, M1, M2 },
      [16] = { S0, S1, M0, M1, M2 },
    }),
    -- C = 4.8e13 (4x): D = 20N at P = 16 falls at 0.63M (between M1 and M2); smallest
    -- sizes within two epochs: M0 at 16 bits, M1 at 4, 6 and 8
    budget(4.8e13, {
      [4] = { M1, M2, M3, M4 }, [6] = { M1, M2, M3 }, [8] = { M1, M2, M3 },
      [16] = { M0, M1, M2, M3 },
    })
  ),
}
