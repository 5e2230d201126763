-- expect: x?second line: run 1, field 'name': run name "../a": holds '/'
-- Locations come from the returned tables too: a message stays one line.
local s = sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024 }
s.where = "x\nsecond line"
s.runs[1].__where = nil
s.runs[1].name = "../a"
return s
