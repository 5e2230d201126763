-- expect: run name ".hidden": starts with '.'
return sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024, runs = { {name = ".hidden"} } }
