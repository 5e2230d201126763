-- expect: bad_bits.lua:2: int{w=17}: no int format of 17 bits
return sweep{ runs = { int{w = 17} } }
