-- expect: syntax_error.lua:5: '}' expected (to close '{' at line 3)
return sweep{
  runs = grid{ lr = {1, 2 }

