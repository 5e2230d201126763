-- expect: run 1, field 'name': run name "../x": holds '/'
-- The sweep's tables changed after sweep{} checked them.
local s = sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024 }
s.runs[1].name = "../x"
return s
