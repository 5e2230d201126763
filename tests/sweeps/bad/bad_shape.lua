-- expect: n_head=3: expected a divisor of d_model=64
return sweep{ d_model = 64, n_head = 3 }
