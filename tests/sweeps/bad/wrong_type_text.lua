-- expect: knob schedule: expected text (a string), got the number 3
return sweep{ schedule = 3 }
