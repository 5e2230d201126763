-- expect: the sweep has no runs
-- Runs that exist only through __len/__index: the loader reads raw fields only.
local s = sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024 }
s.runs = setmetatable({}, { __len = function() return 2 end,
  __index = function(_, i) return { name = "../y" .. i, seed = i } end })
return s
