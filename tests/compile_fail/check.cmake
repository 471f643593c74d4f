# Runs one compile-fail case at test time: builds its EXCLUDE_FROM_ALL object target and checks
# the outcome against the first line of the source file:
#   // expect: <phrase>   the build must fail and the compiler output must contain <phrase>
#                         (a plain substring, usually the static_assert's sentence)
#   // expect-success     the build must succeed (the control: proves the harness and the
#                         include paths work, so the failures above fail for their own reason)
#
#   cmake -DBUILD_DIR=<build tree> -DTARGET=<target> -DSOURCE=<case.cpp> [-DCONFIG=<cfg>] -P check.cmake
cmake_minimum_required(VERSION 3.20)
foreach(var BUILD_DIR TARGET SOURCE)
  if(NOT ${var})
    message(FATAL_ERROR "check.cmake: ${var} is not set")
  endif()
endforeach()

file(STRINGS "${SOURCE}" first_line LIMIT_COUNT 1)
if(first_line MATCHES "^// expect: (.+)$")
  set(phrase "${CMAKE_MATCH_1}")
  string(STRIP "${phrase}" phrase)
elseif(first_line MATCHES "^// expect-success")
  set(phrase "")
else()
  message(FATAL_ERROR "${SOURCE}: the first line must be `// expect: <phrase>` or `// expect-success`")
endif()

set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
# LC_ALL=C: plain ASCII quotes and English messages whatever the caller's locale.
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E env LC_ALL=C
          "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target "${TARGET}" ${config_args}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

get_filename_component(case "${SOURCE}" NAME)
if(phrase STREQUAL "")
  if(NOT rc EQUAL 0)
    message("${output}")
    message(FATAL_ERROR "${case}: the control case must compile, but the build failed (${rc})")
  endif()
  message(STATUS "${case}: compiled, as it must")
  return()
endif()

if(rc EQUAL 0)
  message(FATAL_ERROR "${case}: compiled, but it must fail with \"${phrase}\"")
endif()
string(FIND "${output}" "${phrase}" pos)
if(pos EQUAL -1)
  message("${output}")
  message(FATAL_ERROR "${case}: failed to compile, as it must, but the output above lacks \"${phrase}\"")
endif()
message(STATUS "${case}: failed to compile with \"${phrase}\", as it must")
