-- expect: use letters, digits
-- With error() a no-op, a check that only raises errors from Lua lets anything through.
error = function() end
return sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024, name = "x\ntouch /tmp/psl-sweep-pwned\n" }
