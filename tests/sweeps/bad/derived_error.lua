-- expect: derived field 'tokens'
return sweep{ tokens = function(r) return r.N .. {} end }
