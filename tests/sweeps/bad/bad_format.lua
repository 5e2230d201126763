-- expect: quantization spec "fp5"
return sweep{ runs = { fp{w = "fp5"} } }
