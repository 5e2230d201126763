-- expect: sweep name "../../moved": holds '/'
-- A table with the prelude's own metatable is taken as made by sweep{}: the name check
-- must not depend on it.
local s = sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024 }
return setmetatable({ name = "../../moved", runs = s.runs }, getmetatable(s))
