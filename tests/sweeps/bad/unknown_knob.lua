-- expect: unknown_knob.lua:2: unknown knob 'd_modle' (did you mean 'd_model'?)
return sweep{ d_modle = 64 }
