# cmake -DIN=a.cl -DOUT=a.cl.h -DNAME=kSourceA -P embed_cl.cmake
# Wraps an OpenCL C source in a C++ raw string literal (split in pieces: some
# compilers cap one literal's length) so the backend needs no files at run time.
file(READ "${IN}" text)
string(LENGTH "${text}" len)
set(out "// Generated from ${IN}: do not edit.\n#pragma once\nstatic const char* const ${NAME}[] = {\n")
set(pos 0)
while(pos LESS len)
  string(SUBSTRING "${text}" ${pos} 8000 piece)
  string(APPEND out "R\"CLSRC(${piece})CLSRC\",\n")
  math(EXPR pos "${pos} + 8000")
endwhile()
string(APPEND out "nullptr};\n")
file(WRITE "${OUT}.tmp" "${out}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
