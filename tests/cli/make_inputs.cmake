# Inputs the CLI tests share (CTest fixture innspect_cli_inputs), made with npy-make:
#   cmake -DNPY_MAKE=<npy-make> -DDATA=<tests/data/forward/seed16> -DDIR=<dir> -P make_inputs.cmake
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

cli_fresh_dir(${DIR})
cli_run(0 ${NPY_MAKE} fill ${DIR}/w32.npy 1,32,32,1 0.5)            # unsupported width
cli_run(0 ${NPY_MAKE} fill ${DIR}/w90.npy 2,90,90,1 0.1)            # W = 90 (no W = 90 weights here)
cli_run(0 ${NPY_MAKE} fill ${DIR}/not_square.npy 3,16,8,1 0.1)      # no W x W matrix
cli_run(0 ${NPY_MAKE} fill ${DIR}/mask_8x8.npy 1,8,8,1 1)           # a mask of the wrong size
cli_run(0 ${NPY_MAKE} fill ${DIR}/mask_16x16.npy 1,16,16,1 1)       # a mask for the reconstruction
cli_run(0 ${NPY_MAKE} fill ${DIR}/direction_64.npy 1,64 0.125)      # a latent direction
cli_run(0 ${NPY_MAKE} slice ${DATA}/input.npy ${DIR}/first.npy 0 1)
cli_run(0 ${NPY_MAKE} reshape ${DIR}/first.npy ${DIR}/matrix.npy 16,16)  # one sample as a (W, W) matrix
message(STATUS "CLI test inputs in ${DIR}")
