-- expect: derived fields do not settle
return sweep{ tokens = function(r) return r.tokens + 1 end }
