-- expect: attempt to call a nil value
return load(string.dump(function() end))()
