-- expect: knob lr: 30 is out of range
return sweep{ runs = grid{ lr = {0.001, 30} } }
