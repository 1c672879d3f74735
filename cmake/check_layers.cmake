# Fails when a library folder includes a folder it may not depend on.
#
#   cmake -DNNSE_SOURCE_ROOT=<folder holding nnse/> -DNNSE_LAYER_TABLE=<file> [-DNNSE_LAYER_STAMP=<file>]
#         -P check_layers.cmake
#
# The table file has one line per stage: "<stage>: <stages it may include, directly or through them>" (written by
# src/CMakeLists.txt from the nnse_add_stage() calls, so the table and the link graph are one thing). Every
# `#include "nnse/<stage>/...` in <root>/nnse/<folder>/ must name the folder itself or one of its allowed stages;
# a folder missing from the table is an error too (a new stage must say what it depends on).
cmake_minimum_required(VERSION 3.22)
foreach(required NNSE_SOURCE_ROOT NNSE_LAYER_TABLE)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "check_layers.cmake: -D${required}=... is required")
  endif()
endforeach()

file(STRINGS "${NNSE_LAYER_TABLE}" table_lines)
set(known_stages "")
foreach(line IN LISTS table_lines)
  if(line MATCHES "^([a-z_0-9]+):(.*)$")
    set(stage "${CMAKE_MATCH_1}")
    string(STRIP "${CMAKE_MATCH_2}" allowed)
    separate_arguments(allowed UNIX_COMMAND "${allowed}")
    set(allowed_${stage} ${stage} ${allowed})
    list(APPEND known_stages ${stage})
  endif()
endforeach()

set(violations "")
file(GLOB folders LIST_DIRECTORIES true "${NNSE_SOURCE_ROOT}/nnse/*")
foreach(folder IN LISTS folders)
  if(NOT IS_DIRECTORY "${folder}")
    continue()
  endif()
  get_filename_component(stage "${folder}" NAME)
  if(NOT stage IN_LIST known_stages)
    string(APPEND violations "  nnse/${stage}/ is not a stage of the layer table (add it with nnse_add_stage)\n")
    continue()
  endif()
  file(GLOB_RECURSE sources "${folder}/*.h" "${folder}/*.cpp")
  foreach(source IN LISTS sources)
    file(STRINGS "${source}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"nnse/[a-z_0-9]+/")
    foreach(include IN LISTS includes)
      string(REGEX MATCH "\"nnse/([a-z_0-9]+)/[^\"]*\"" quoted "${include}")
      set(target_stage "${CMAKE_MATCH_1}")
      if(NOT target_stage IN_LIST allowed_${stage})
        file(RELATIVE_PATH shown "${NNSE_SOURCE_ROOT}" "${source}")
        list(JOIN allowed_${stage} ", " allowed_text)
        string(APPEND violations "  ${shown} includes ${quoted}: ${stage} may include only ${allowed_text}\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "layer violation (see the stage table in src/CMakeLists.txt):\n${violations}")
endif()
if(DEFINED NNSE_LAYER_STAMP)
  file(TOUCH "${NNSE_LAYER_STAMP}")
endif()
