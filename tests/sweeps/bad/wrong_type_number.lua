-- expect: wrong_type_number.lua:3: knob d_model: expected a number, got the string "big"
return sweep{
  d_model = "big",
}
