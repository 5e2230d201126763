-- expect: use letters, digits
-- string.match (the strings' __index) replaced: any pattern check in Lua says yes.
string.match = function() return true end
string.find = function() return 1, 1 end
return sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024, name = "x\ntouch /tmp/psl-sweep-pwned\n" }
