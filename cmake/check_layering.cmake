# The include rules of the engine, checked on every build (target check_layering)
# and by the unit test layering.check:
#   cmake -DROOT=<source dir> -P cmake/check_layering.cmake
# Every #include "X/..." in a folder of the table below must name a folder X that
# the folder may use. A folder not in the table may include none of inference/'s
# internal folders (the "internal" list); app/, ui/ and rag/ see only the public
# headers (assistant/engine.h, assistant/tools.h, assistant/model_tools.h) and
# assistant_json (json/); rag/ also common/ (utf8.h). Tests and benchmarks are not checked: they link
# assistant_engine_internals explicitly.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
  message(FATAL_ERROR "check_layering: pass -DROOT=<source dir>")
endif()

set(internal common json grammar gguf tokenizer tools chat_template kv_cache arch quantize engine)

# folder -> the include roots it may use (besides its own headers without a folder).
set(allow_inference/common    assistant common)
set(allow_inference/json      json common)
set(allow_inference/grammar   grammar json common)
set(allow_inference/gguf      gguf common assistant kernels)
set(allow_inference/tokenizer tokenizer gguf common assistant)
set(allow_inference/tools     assistant grammar json common)
set(allow_inference/chat_template chat_template json common assistant)
set(allow_inference/kv_cache  kv_cache kernels)
set(allow_inference/arch      arch gguf kv_cache common kernels assistant)
set(allow_inference/quantize  quantize gguf common kernels assistant)
set(allow_inference/engine    engine arch kv_cache chat_template tokenizer gguf grammar json tools quantize common kernels assistant)
set(allow_inference/include   assistant json)
set(allow_app                 assistant json)
set(allow_ui                  assistant json)
set(allow_rag                 assistant json common)  # common/: utf8.h, UTF-8 shared with the engine

set(checked inference/common inference/json inference/grammar inference/gguf inference/tokenizer inference/tools
            inference/chat_template inference/kv_cache inference/arch inference/quantize inference/engine inference/include app ui rag)

set(violations 0)
foreach(folder IN LISTS checked)
  file(GLOB_RECURSE files LIST_DIRECTORIES false "${ROOT}/${folder}/*.h" "${ROOT}/${folder}/*.cpp")
  foreach(path IN LISTS files)
    file(STRINGS "${path}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[A-Za-z0-9_]+/")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([A-Za-z0-9_]+)/.*" "\\1" root "${line}")
      if(NOT root IN_LIST internal AND NOT root STREQUAL "assistant" AND NOT root STREQUAL "kernels")
        continue()  # not an engine folder (rag/, Qt's, app's own)
      endif()
      if(NOT root IN_LIST allow_${folder})
        file(RELATIVE_PATH rel "${ROOT}" "${path}")
        message(SEND_ERROR "${rel}: ${folder}/ may not include \"${root}/...\" (${line})")
        math(EXPR violations "${violations} + 1")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations GREATER 0)
  message(FATAL_ERROR "check_layering: ${violations} include(s) against the rules (README, Design)")
endif()
message(STATUS "check_layering: the include rules hold")
