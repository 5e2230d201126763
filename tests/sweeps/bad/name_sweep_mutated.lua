-- expect: name_sweep_mutated.lua: sweep name "../../moved": holds '/' at position 3
-- The sweep changed after sweep{} checked it: the loader checks what is returned.
local s = sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024 }
s.name = "../../moved"
return s
