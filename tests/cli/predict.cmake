# `innspect-connectome predict` on the W = 16 seed fixture against the numpy reference outputs:
#   cmake -DCLI=<innspect-connectome> -DNPY_COMPARE=<npy-compare> -DNPY_MAKE=<npy-make>
#         -DDATA=<tests/data/forward/seed16> -DWORK_DIR=<dir> -DPRECISION=float|double
#         -DMAX_REL=<tolerance> [-DFORM=batch|batch3d|matrix|matrix1] -P predict.cmake
# FORM is the input's layout: batch (3, 16, 16, 1) as stored, batch3d (3, 16, 16), and for the
# first sample alone matrix (16, 16) and matrix1 (16, 16, 1). Every layer's D/<layer>.npy must
# have the Keras shape (batch first) and match <layer>.out.npy within MAX_REL * max|reference|.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

set(layers conv1 dropout1 conv2 dropout2 reshape1 dense1 output dense2 reshape2 conv3 conv4 autoencoder)
if(NOT DEFINED FORM)
  set(FORM batch)
endif()
cli_fresh_dir(${WORK_DIR})
set(input ${DATA}/input.npy)
set(reference_dir ${DATA})
if(FORM STREQUAL "batch3d")
  set(input ${WORK_DIR}/input.npy)
  cli_run(0 ${NPY_MAKE} reshape ${DATA}/input.npy ${input} 3,16,16)
elseif(FORM STREQUAL "matrix" OR FORM STREQUAL "matrix1")
  # The first sample alone, and the references cut to it.
  set(input ${WORK_DIR}/input.npy)
  cli_run(0 ${NPY_MAKE} slice ${DATA}/input.npy ${WORK_DIR}/first.npy 0 1)
  if(FORM STREQUAL "matrix")
    cli_run(0 ${NPY_MAKE} reshape ${WORK_DIR}/first.npy ${input} 16,16)
  else()
    cli_run(0 ${NPY_MAKE} reshape ${WORK_DIR}/first.npy ${input} 16,16,1)
  endif()
  set(reference_dir ${WORK_DIR}/reference)
  file(MAKE_DIRECTORY ${reference_dir})
  foreach(layer IN LISTS layers)
    cli_run(0 ${NPY_MAKE} slice ${DATA}/${layer}.out.npy ${reference_dir}/${layer}.out.npy 0 1)
  endforeach()
elseif(NOT FORM STREQUAL "batch")
  message(FATAL_ERROR "FORM must be batch, batch3d, matrix or matrix1, got '${FORM}'")
endif()

cli_run(0 ${CLI} predict --weights ${DATA}/weights.h5 --input ${input} --out-dir ${WORK_DIR}/out
        --precision ${PRECISION})
foreach(layer IN LISTS layers)
  cli_compare(${WORK_DIR}/out/${layer}.npy ${reference_dir}/${layer}.out.npy --max-rel ${MAX_REL})
endforeach()
file(GLOB written RELATIVE ${WORK_DIR}/out ${WORK_DIR}/out/*.npy)
list(LENGTH written n)
if(NOT n EQUAL 12)
  message(FATAL_ERROR "expected 12 files in ${WORK_DIR}/out, found ${n}: ${written}")
endif()
message(STATUS "predict (${PRECISION}, input ${FORM}): 12 layers match the reference")
