# Helpers shared by the tests/cli/*.cmake scripts (CTest runs them with `cmake -P`).

# cli_args_after_dashdash(<out>): the script's arguments after `--` (the command to run).
function(cli_args_after_dashdash out)
  set(args "")
  set(take OFF)
  math(EXPR last "${CMAKE_ARGC} - 1")
  foreach(i RANGE ${last})
    if(take)
      list(APPEND args "${CMAKE_ARGV${i}}")
    elseif(CMAKE_ARGV${i} STREQUAL "--")
      set(take ON)
    endif()
  endforeach()
  set(${out} "${args}" PARENT_SCOPE)
endfunction()

# cli_run(<expected exit code> <command...>): runs the command, fails the test (printing its
# output) unless it exits with the expected code. Sets CLI_STDOUT and CLI_STDERR.
function(cli_run expected)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " shown "${ARGN}")
  if(NOT rc STREQUAL "${expected}")
    message(FATAL_ERROR "expected exit code ${expected}, got ${rc}:\n  ${shown}\n--- stdout:\n${out}\n--- stderr:\n${err}")
  endif()
  set(CLI_STDOUT "${out}" PARENT_SCOPE)
  set(CLI_STDERR "${err}" PARENT_SCOPE)
endfunction()

# cli_compare(<actual.npy> <expected.npy> <npy-compare options...>)
function(cli_compare actual expected)
  cli_run(0 ${NPY_COMPARE} ${actual} ${expected} ${ARGN})
endfunction()

# cli_check_shape(<file.npy> <d0,d1,...>): the file exists, has that shape, is finite and not all zero.
function(cli_check_shape file dims)
  cli_run(0 ${NPY_COMPARE} --shape ${file} ${dims})
  cli_run(0 ${NPY_COMPARE} --finite ${file})
endfunction()

# cli_fresh_dir(<dir>): an empty directory.
function(cli_fresh_dir dir)
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir})
endfunction()
