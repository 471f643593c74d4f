# innspect_test_sources(<target> <source>...): adds a test program's sources, in unity batches
# when INNSPECT_TEST_UNITY is ON (the default), and INNSPECT_TEST_CXX_OPTIONS to its flags.
# innspect_test_sanitize(<target>): INNSPECT_TEST_SANITIZE to its compile and link flags, after
# INNSPECT_TEST_CXX_OPTIONS (so its -O0 wins), and the sanitizers' default options the tests need
# (tests/support/sanitizer_defaults.cpp); the programs that count heap calls or test a compiled
# library do not get it.
#
# Why: the test files of one folder instantiate the same models, analyzers and Eigen kernels;
# compiled one by one, every file parses the library and compiles those instantiations again. A
# batch compiles them once: 12-13 % less CPU time for tests/analyzers/ (-O2, measured file by file
# against its two batches), the largest part of CI's test build.
#
# Why not CMake's UNITY_BUILD: it pastes the files into one translation unit as they are, so two
# files' anonymous-namespace helpers of the same name (every file has its `Net`, `make_model`)
# collide. Here each file is wrapped in a namespace of its own. That works because every header
# the batch's files include is included first, at file scope (all test headers have
# `#pragma once`); the file's own #include lines then include nothing. A file's #include of a
# header next to it ("fill_weights.hpp") is hoisted with its full path.
#
# Each batch holds files of one folder (sorted by name), at most INNSPECT_TEST_UNITY_BATCH of
# them. A file with an #include inside an #if or after a #define is compiled on its own. The batch files are written at configure time;
# CMake re-runs (3 s) when a test file changes, since a new #include must be hoisted too. doctest still reports the original file and line
# (__FILE__ / __LINE__ are the included file's).
set(INNSPECT_TEST_CXX_OPTIONS "" CACHE STRING
    "Compile options added to the test programs only (scripts/test.sh's Release build: -Og)")
set(INNSPECT_TEST_SANITIZE "" CACHE STRING
    "Compile and link options of the test programs that run under the sanitizers (scripts/test.sh: -O0 -g1, ASan + UBSan)")
option(INNSPECT_TEST_UNITY "Compile the test programs in batches of files (faster builds)" ON)
set(INNSPECT_TEST_UNITY_BATCH 4 CACHE STRING "Largest number of test files in one unity batch")

function(innspect_test_sources target)
  set(sources ${ARGN})
  target_compile_options(${target} PRIVATE ${INNSPECT_TEST_CXX_OPTIONS})
  if(NOT INNSPECT_TEST_UNITY)
    target_sources(${target} PRIVATE ${sources})
    return()
  endif()
  list(SORT sources)
  set(batch_files "")
  set(batch "")
  set(batch_dir "")
  set(index 0)
  set(alone "")
  foreach(source IN LISTS sources)
    _innspect_compiled_alone("${source}" says_alone)
    if(says_alone)
      list(APPEND alone "${source}")
      continue()
    endif()
    get_filename_component(dir "${source}" DIRECTORY)
    list(LENGTH batch n)
    if(n GREATER 0 AND (NOT dir STREQUAL batch_dir OR n GREATER_EQUAL INNSPECT_TEST_UNITY_BATCH))
      _innspect_write_unity_batch(${target} ${index} file ${batch})
      list(APPEND batch_files ${file})
      math(EXPR index "${index} + 1")
      set(batch "")
    endif()
    list(APPEND batch "${source}")
    set(batch_dir "${dir}")
  endforeach()
  if(batch)
    _innspect_write_unity_batch(${target} ${index} file ${batch})
    list(APPEND batch_files ${file})
  endif()
  target_sources(${target} PRIVATE ${batch_files} ${alone})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sources})
endfunction()

function(innspect_test_sanitize target)
  if(NOT INNSPECT_TEST_SANITIZE)
    return()
  endif()
  target_compile_options(${target} PRIVATE ${INNSPECT_TEST_SANITIZE})
  target_link_options(${target} PRIVATE ${INNSPECT_TEST_SANITIZE})
  # The sanitizers' options the tests need, built in (support/sanitizer_defaults.cpp says which).
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support/sanitizer_defaults.cpp)
endfunction()

# Whether `source` must be compiled on its own: it has an #include inside an #if (hoisted out of
# it, the header would be included whatever the condition: e.g. the .keras reader, which needs
# libzip, in a build without it), or after a #define (hoisted above it, the header would not see
# it: e.g. stb_image's implementation switch).
function(_innspect_compiled_alone source out_var)
  file(STRINGS "${source}" lines REGEX "^[ \t]*#[ \t]*(if|ifdef|ifndef|endif|define|undef|include)")
  set(depth 0)
  set(defined FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[ \t]*#[ \t]*(if|ifdef|ifndef)[ \t(]")
      math(EXPR depth "${depth} + 1")
    elseif(line MATCHES "^[ \t]*#[ \t]*endif")
      math(EXPR depth "${depth} - 1")
    elseif(line MATCHES "^[ \t]*#[ \t]*(define|undef)[ \t]")
      set(defined TRUE)
    elseif(depth GREATER 0 OR defined)
      set(${out_var} TRUE PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out_var} FALSE PARENT_SCOPE)
endfunction()

function(_innspect_write_unity_batch target index out_var)
  set(includes "")
  set(bodies "")
  foreach(source IN LISTS ARGN)
    get_filename_component(dir "${source}" DIRECTORY)
    file(STRINGS "${source}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line IN LISTS lines)
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\"")
        set(header "${CMAKE_MATCH_1}")  # (CMAKE_MATCH_1 is only set once the if() has run)
        if(EXISTS "${dir}/${header}")
          set(line "#include \"${dir}/${header}\"")
        endif()
      endif()
      string(STRIP "${line}" line)
      list(APPEND includes "${line}")
    endforeach()
    file(RELATIVE_PATH name "${PROJECT_SOURCE_DIR}" "${source}")
    string(MAKE_C_IDENTIFIER "${name}" id)
    string(APPEND bodies "namespace innspect_unity_${id} {  // ${name}\n#include \"${source}\"\n}  // namespace innspect_unity_${id}\n")
  endforeach()
  list(REMOVE_DUPLICATES includes)
  list(JOIN includes "\n" includes)
  set(file "${CMAKE_CURRENT_BINARY_DIR}/unity/${target}_${index}.cpp")
  file(CONFIGURE OUTPUT "${file}" CONTENT
       "// Generated by tests/unity.cmake: a batch of ${target}'s test files, each in a namespace of its own.\n${includes}\n\n${bodies}"
       @ONLY)
  set(${out_var} "${file}" PARENT_SCOPE)
endfunction()
