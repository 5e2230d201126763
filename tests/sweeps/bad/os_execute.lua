-- expect: global 'os'
os.execute("touch /tmp/psl-sweep-pwned")
return sweep{}
