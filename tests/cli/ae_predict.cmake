# `predict` of innspect::cli::main<AE> (tests/cli/ae_cli.cpp) against the library's forward:
#   cmake -DCLI=<innspect-cli-ae> -DNPY_COMPARE=... -DWEIGHTS=<file> -DINPUT=<ae.input.npy>
#         -DKERAS_OUTPUT=<ae.output.npy> -DREFERENCE=<ae-reference's directory> -DLAYERS=<a;b;...>
#         -DWORK_DIR=<dir> -DPRECISION=float|double -DMAX_REL=<m> -P ae_predict.cmake
# Every layer's D/<layer>.npy must match REFERENCE/<layer>.npy (the library's forward through its
# API, double) within MAX_REL * max|reference|, exactly LAYERS be written, and dec_out also match
# the numpy Keras forward of the fixture script (ae.output.npy).
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

cli_fresh_dir(${WORK_DIR})
cli_run(0 ${CLI} predict --weights ${WEIGHTS} --input ${INPUT} --out-dir ${WORK_DIR}/out --precision ${PRECISION})
foreach(layer IN LISTS LAYERS)
  cli_compare(${WORK_DIR}/out/${layer}.npy ${REFERENCE}/${layer}.npy --max-rel ${MAX_REL})
endforeach()
file(GLOB written RELATIVE ${WORK_DIR}/out ${WORK_DIR}/out/*.npy)
list(LENGTH written n)
list(LENGTH LAYERS expected)
if(NOT n EQUAL expected)
  message(FATAL_ERROR "expected ${expected} files in ${WORK_DIR}/out, found ${n}: ${written}")
endif()
# The numpy forward is independent of the library; float rounds at ~1e-7 relative.
if(PRECISION STREQUAL "float")
  set(keras_rel 1e-5)
else()
  set(keras_rel 1e-9)
endif()
cli_compare(${WORK_DIR}/out/dec_out.npy ${KERAS_OUTPUT} --max-rel ${keras_rel})
message(STATUS "predict (${PRECISION}, ${WEIGHTS}): ${n} layers match the library's forward")
