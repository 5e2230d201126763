-- expect: run 1, derived field 'name' (set at name_derived.lua:3): run name "../../d32"
return sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024,
  name = "fine", runs = { { name = function(r) return "../../d" .. r.d_model end } } }
