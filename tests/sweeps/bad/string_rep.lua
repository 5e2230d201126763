-- expect: resulting string too large
return string.rep("x", 1 << 40)
