-- expect: expected equal lengths
return sweep{ runs = zip{ lr = {1, 2}, seed = {1} } }
