-- expect: two runs are the same run
return sweep{ runs = { {lr = 0.01}, {lr = 0.01} } }
