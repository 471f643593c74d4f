# generator.shared: generates, builds and runs innspect_generated_shared_tests (shared.cpp) when
# SHARED (../shared/keras/) exists; says "skipped: ..." (CTest's SKIP_REGULAR_EXPRESSION) when not.
#   cmake -DBUILD_DIR=<build tree> -DSHARED=<dir> -DPROGRAM=<test program> -P run_shared.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT EXISTS "${SHARED}/12-encoder.h5" OR NOT EXISTS "${SHARED}/12-decoder.h5")
  message("skipped: no real Keras files at ${SHARED}")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target innspect_generated_shared_tests
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the generated headers of ${SHARED} failed:\n${out}")
endif()
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "innspect_generated_shared_tests failed")
endif()
