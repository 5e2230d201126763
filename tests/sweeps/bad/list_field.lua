-- expect: field 'lr' is a list
return sweep{ lr = {1, 2} }
