# cmake -DIN=file -DOUT=header -P embed.cmake: the file as a C byte array.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* Generated from prelude.lua by embed.cmake. */\nstatic const char prelude_lua[] = {\n${bytes}};\n")
