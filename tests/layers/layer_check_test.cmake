# Proves that the layer check (cmake/check_layers.cmake) rejects a lower folder including a higher one, accepts an
# allowed include, and rejects a folder missing from the table. Run by ctest as
#   cmake -DNNSE_CHECKER=<check_layers.cmake> -DNNSE_WORK_DIR=<scratch folder> -P layer_check_test.cmake
cmake_minimum_required(VERSION 3.22)
file(REMOVE_RECURSE "${NNSE_WORK_DIR}")

# A fake source tree: low/ may include nothing, high/ may include low/.
function(write_tree low_includes_high)
  file(REMOVE_RECURSE "${NNSE_WORK_DIR}/src")
  file(WRITE "${NNSE_WORK_DIR}/src/nnse/low/low.h" "#pragma once\nint low();\n")
  file(WRITE "${NNSE_WORK_DIR}/src/nnse/high/high.cpp" "#include \"nnse/high/high.h\"\n#include \"nnse/low/low.h\"\n")
  file(WRITE "${NNSE_WORK_DIR}/src/nnse/high/high.h" "#pragma once\n")
  if(low_includes_high)
    file(WRITE "${NNSE_WORK_DIR}/src/nnse/low/low.cpp" "#include \"nnse/low/low.h\"\n  #include \"nnse/high/high.h\"\n")
  else()
    file(WRITE "${NNSE_WORK_DIR}/src/nnse/low/low.cpp" "#include \"nnse/low/low.h\"\n")
  endif()
  file(WRITE "${NNSE_WORK_DIR}/table.txt" "low: \nhigh: low\n")
endfunction()

function(run_checker result_var output_var)
  execute_process(COMMAND ${CMAKE_COMMAND} -DNNSE_SOURCE_ROOT=${NNSE_WORK_DIR}/src
                          -DNNSE_LAYER_TABLE=${NNSE_WORK_DIR}/table.txt -P ${NNSE_CHECKER}
                  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${result_var} ${result} PARENT_SCOPE)
  set(${output_var} "${out}${err}" PARENT_SCOPE)
endfunction()

write_tree(FALSE)
run_checker(result output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "an allowed tree (high includes low) was rejected:\n${output}")
endif()

write_tree(TRUE)
run_checker(result output)
if(result EQUAL 0)
  message(FATAL_ERROR "low/ including high/ was accepted")
endif()
if(NOT output MATCHES "nnse/low/low.cpp includes \"nnse/high/high.h\"")
  message(FATAL_ERROR "the rejection does not name the offending include:\n${output}")
endif()

write_tree(FALSE)
file(WRITE "${NNSE_WORK_DIR}/src/nnse/stray/stray.cpp" "\n")
run_checker(result output)
if(result EQUAL 0 OR NOT output MATCHES "nnse/stray/ is not a stage")
  message(FATAL_ERROR "a folder missing from the table was accepted:\n${output}")
endif()

file(REMOVE_RECURSE "${NNSE_WORK_DIR}")
message(STATUS "layer check: violations fail, allowed includes pass")
