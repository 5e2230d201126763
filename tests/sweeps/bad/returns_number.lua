-- expect: the config must return a table
return 42
