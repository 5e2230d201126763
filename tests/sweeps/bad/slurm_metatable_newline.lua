-- expect: sweep name "x\x0atouch /tmp/psl-sweep-pwned\x0a": holds the control character 0x0a
local s = sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024 }
return setmetatable({ name = "x\ntouch /tmp/psl-sweep-pwned\n", runs = s.runs }, getmetatable(s))
