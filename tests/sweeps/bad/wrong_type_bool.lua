-- expect: knob lr: expected a number, got a boolean
return sweep{ lr = true }
