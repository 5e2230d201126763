-- expect: run name "a\x0atouch /tmp/psl-sweep-pwned": holds the control character 0x0a
return sweep{ ctx = 16, batch = 4, eval_tokens = 256, d_model = 32, n_layer = 1, n_head = 2, tokens = 1024, name = "fine", runs = { {name = "a\ntouch /tmp/psl-sweep-pwned"} } }
