-- expect: use letters, digits
return sweep{ name = "../../etc" }
